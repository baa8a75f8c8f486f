{
  "variables": {
    "reglab_blas%": "<!(node blas.mjs use)",
    "reglab_march%": "<!(node blas.mjs march)"
  },
  "targets": [
    {
      "target_name": "reglab_native",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/conv.cc", "src/elementwise.cc", "src/normal.cc"],
      "include_dirs": ["<!(node blas.mjs addon)"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags": ["-O3", "-march=<(reglab_march)"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "conditions": [
        [
          "reglab_blas=='openblas'",
          {
            "defines": ["REGLAB_OPENBLAS"],
            "include_dirs": ["<!@(node blas.mjs include)"],
            "libraries": ["<!@(node blas.mjs libs)"]
          }
        ]
      ]
    }
  ]
}
