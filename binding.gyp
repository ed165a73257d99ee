{
  "targets": [
    {
      "target_name": "grokbench_native",
      "sources": ["native/grokbench.c"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/aarch64-linux-gnu/openblas-pthread"],
      "libraries": ["-lopenblas", "-lm"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-std=c11", "-Wall"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
