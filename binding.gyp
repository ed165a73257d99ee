{
  "targets": [
    {
      "target_name": "grokbench_native",
      "sources": ["native/grokbench.c"],
      "libraries": ["-lm", "-lgomp"],
      "cflags": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-std=gnu11", "-Wall", "-Wno-psabi", "-fopenmp"],
      "ldflags": ["-fopenmp"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
