using BenchmarkDotNet.Running;
using Flowmesh.Benchmarks;

// "sketch-accuracy" is the evaluation's sweep of sketch sizes (bench/evaluation/accuracy.sh), not a benchmark:
// it needs the sketches' answers, which BenchmarkDotNet does not return.
if (args.Length > 0 && args[0] == "sketch-accuracy")
    return SketchAccuracySweep.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
