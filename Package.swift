// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kfpolicy",
    products: [
        .executable(name: "kfpolicy", targets: ["kfpolicy"]),
        .library(name: "KFPolicy", targets: ["KFPolicy"]),
        .executable(name: "kfpolicy-gen", targets: ["kfpolicy-gen"]),
        .plugin(name: "KFPolicyPlugin", targets: ["KFPolicyPlugin"]),
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
        // The Language Server for .policy files (`kfpolicy lsp`): JSON-RPC over stdio.
        .target(name: "KFPolicyLSP", dependencies: ["KFPolicy"]),
        // The command-line tool: argument handling, exit codes and rendering only.
        .executableTarget(
            name: "kfpolicy",
            dependencies: [
                "KFPolicy",
                "KFPolicyClang",
                "KFPolicyLSP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `kfpolicy gen` without libclang or ArgumentParser: the tool the build plugin runs.
        .executableTarget(name: "kfpolicy-gen", dependencies: ["KFPolicy"]),
        // Build-tool plugin: Swift tables for every .policy file of a target. Builds a command line only.
        .plugin(name: "KFPolicyPlugin", capability: .buildTool(), dependencies: ["kfpolicy-gen"]),
        // The committed Swift tables of every shipped policy, compiled so they stay valid Swift.
        .target(
            name: "GeneratedPolicies",
            path: "Generated",
            // Only the .swift files: the C headers beside them are not sources of this target.
            sources: [
                "ScxPolicy.swift", "Scx612Policy.swift", "ScxCidPolicy.swift", "TcpCongPolicy.swift",
                "examples/GroupsPolicy.swift", "examples/ImplsPolicy.swift", "examples/IncludePolicy.swift",
                "examples/MinimalPolicy.swift", "examples/NestingPolicy.swift", "examples/ProgtypesPolicy.swift",
                "examples/RequirementsPolicy.swift", "examples/TestmodPolicy.swift",
            ]
        ),
        // Fuzzing: the checks run on each input (a library, so the tests run them too) and the
        // libFuzzer entry point; Sources/kfpolicy-fuzz/Main/FuzzMain.swift says how to run it.
        .target(name: "KFPolicyFuzz", dependencies: ["KFPolicy"], path: "Sources/kfpolicy-fuzz/Oracle"),
        .executableTarget(name: "kfpolicy-fuzz", dependencies: ["KFPolicyFuzz"], path: "Sources/kfpolicy-fuzz/Main"),
        // The -I is for debug builds: -enable-testing makes KFPolicyClang's internal import of
        // CLibClang visible to its clients, so the tests need libclang's headers too.
        .testTarget(
            name: "KFPolicyTests",
            dependencies: ["KFPolicy", "KFPolicyClang", "KFPolicyLSP", "GeneratedPolicies", "KFPolicyFuzz"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])]
        ),
    ]
)
