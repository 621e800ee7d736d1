{
  "targets": [
    {
      "target_name": "copy_file_range",
      "sources": ["native/copy_file_range.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "sendfile",
      "sources": ["native/sendfile.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "cenc",
      "sources": ["native/cenc.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
