{
  "targets": [
    {
      "target_name": "grokbench_native",
      "sources": ["native/addon.c", "native/adamw.c", "native/attention.c", "native/bench.c", "native/elementwise.c",
                  "native/gemm.c", "native/loss.c", "native/mlp.c", "native/paths.c"],
      "libraries": ["-lm", "-lgomp"],
      "cflags": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-std=gnu11", "-Wall", "-Wno-psabi", "-fopenmp"],
      "ldflags": ["-fopenmp"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
