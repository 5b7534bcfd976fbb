"""A repository rule exposing Debian's -dev packages as cc_library targets.

Each library's link line comes from pkg-config at fetch time, so the long abseil link line
that gRPC needs is never written by hand. Headers live in /usr/include, which the default
toolchain already searches.
"""

# target name -> (pkg-config modules, extra linkopts when there is no .pc file)
_LIBS = {
    "grpc": (["grpc++", "protobuf"], []),
    "grpc_reflection": ([], ["-lgrpc++_reflection"]),
    "protobuf": (["protobuf"], []),
    "leveldb": ([], ["-lleveldb"]),
    "gtest": (["gtest", "gmock"], []),
    "gtest_main": (["gtest_main", "gmock"], []),
    "benchmark": (["benchmark"], []),
    "benchmark_main": (["benchmark"], ["-lbenchmark_main"]),
    "gflags": (["gflags"], []),
    "spdlog": (["spdlog", "fmt"], []),
    "json": ([], []),
    "cli11": ([], []),
    # prometheus-cpp-dev: metric types, the text format and the /metrics HTTP exposer.
    "prometheus": (["prometheus-cpp-pull", "prometheus-cpp-core"], []),
    # librdkafka-dev: the Kafka client (and its mock cluster) that tests/kafka/ and the Kafka
    # benchmark run against the broker's Kafka listener.
    "rdkafka": (["rdkafka"], []),
    # Kafka record batch compression (kafka/compression.cc): gzip, snappy, lz4 frame, zstd.
    "zlib": (["zlib"], []),
    # libssl-dev: certificate checks and the Kafka listener's TLS (security/, docs/security.md).
    "openssl": (["openssl"], []),
    "snappy": (["snappy"], []),
    "lz4": (["liblz4"], []),
    "zstd": (["libzstd"], []),
    # libcpp-httplib-dev: the REST proxy's HTTP server (broker/rest/, docs/rest.md). Its -D
    # flags (TLS, zlib, brotli) change the header's declarations, so they become `defines`,
    # which reach every target that includes httplib.h.
    "httplib": (["cpp-httplib"], []),
    "absl": (["absl_statusor", "absl_status", "absl_strings", "absl_str_format",
              "absl_synchronization", "absl_time", "absl_flat_hash_map", "absl_random_random"], []),
}

def _pkg_config(ctx, modules, flag):
    if not modules:
        return []
    result = ctx.execute(["pkg-config", flag] + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed (run tools/install-deps.sh): %s" %
             (flag, " ".join(modules), result.stderr))
    return [f for f in result.stdout.strip().split(" ") if f]

def _system_libs_impl(ctx):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, (modules, extra) in _LIBS.items():
        linkopts = _pkg_config(ctx, modules, "--libs") + extra
        cflags = _pkg_config(ctx, modules, "--cflags")
        copts = [f for f in cflags if not f.startswith("-I/usr/include")]
        defines = []
        if name == "httplib":
            defines = [f[2:] for f in copts if f.startswith("-D")]
            copts = [f for f in copts if not f.startswith("-D")]
        deps = []
        if name == "grpc_reflection":
            deps = [":grpc"]
        lines.append("cc_library(")
        lines.append('    name = "%s",' % name)
        lines.append("    linkopts = %s," % repr(linkopts + ["-lpthread"]))
        lines.append("    copts = %s," % repr(copts))
        lines.append("    deps = %s," % repr(deps))
        if defines:
            lines.append("    defines = %s," % repr(defines))
        lines.append(")")
        lines.append("")
    ctx.file("BUILD.bazel", "\n".join(lines))
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

system_libs = repository_rule(
    implementation = _system_libs_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
