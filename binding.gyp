{
  "targets": [
    {
      "target_name": "grokbench_native",
      "sources": ["native/grokbench.c"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/aarch64-linux-gnu/openblas-pthread"],
      "libraries": ["-lopenblas", "-lm", "-lgomp"],
      "cflags": ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-std=c11", "-Wall", "-fopenmp"],
      "ldflags": ["-fopenmp"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
