// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kfpolicy",
    products: [
        .executable(name: "kfpolicy", targets: ["kfpolicy"]),
        .library(name: "KFPolicy", targets: ["KFPolicy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Front end, checked model, decision function and emitters. No libclang.
        .target(name: "KFPolicy"),
        // libclang's C API (Debian's libclang-dev). Only KFPolicyClang imports it.
        .systemLibrary(name: "CLibClang"),
        // Everything that parses C with libclang: validation, kernel sources, lint.
        .target(
            name: "KFPolicyClang",
            dependencies: ["KFPolicy", "CLibClang"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])]
        ),
        // The command-line tool: argument handling, exit codes and rendering only.
        .executableTarget(
            name: "kfpolicy",
            dependencies: [
                "KFPolicy",
                "KFPolicyClang",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "KFPolicyTests", dependencies: ["KFPolicy", "KFPolicyClang"]),
    ]
)
