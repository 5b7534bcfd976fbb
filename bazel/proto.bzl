"""keel_proto: one line per .proto gives the x_proto / x_cc_proto / x_cc_grpc targets.

Bazel 4.2's native proto_library would download @com_google_protobuf, so code generation is
a genrule running Debian's protoc and grpc_cpp_plugin instead.
"""

def keel_proto(name, deps = [], grpc = False, visibility = None):
    """Declares <name>_proto, <name>_cc_proto and, with grpc = True, <name>_cc_grpc.

    Args:
      name: base name; the source is <name>.proto in this package.
      deps: base names of other keel_proto targets in this package that it imports.
      grpc: whether the file declares services.
      visibility: visibility of the generated targets.
    """
    src = name + ".proto"
    dep_protos = [":" + d + "_proto" for d in deps]
    native.filegroup(
        name = name + "_proto",
        srcs = [src] + dep_protos,
        visibility = visibility,
    )

    pkg = native.package_name()
    native.genrule(
        name = name + "_cc_proto_gen",
        srcs = [":" + name + "_proto"],
        outs = [name + ".pb.h", name + ".pb.cc"],
        cmd = "protoc -I. --cpp_out=$(GENDIR) %s/%s" % (pkg, src),
    )
    native.cc_library(
        name = name + "_cc_proto",
        srcs = [name + ".pb.cc"],
        hdrs = [name + ".pb.h"],
        copts = ["-Wno-unused-parameter"],
        deps = [":" + d + "_cc_proto" for d in deps] + ["@system//:protobuf"],
        visibility = visibility,
    )

    if grpc:
        native.genrule(
            name = name + "_cc_grpc_gen",
            srcs = [":" + name + "_proto"],
            outs = [name + ".grpc.pb.h", name + ".grpc.pb.cc"],
            cmd = ("protoc -I. --grpc_out=$(GENDIR) " +
                   "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin %s/%s") % (pkg, src),
        )
        native.cc_library(
            name = name + "_cc_grpc",
            srcs = [name + ".grpc.pb.cc"],
            hdrs = [name + ".grpc.pb.h"],
            copts = ["-Wno-unused-parameter"],
            deps = [":" + name + "_cc_proto", "@system//:grpc"],
            visibility = visibility,
        )
