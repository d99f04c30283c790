namespace Flowmesh.Agent.Enrolment;

/// <summary>A CA directory, bundle or certificate that cannot be used; the message is for the operator and never holds key bytes.</summary>
public sealed class EnrolmentException(string message, Exception? inner = null) : Exception(message, inner);
