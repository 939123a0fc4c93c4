// swift-tools-version:6.0
import PackageDescription

// The targets, leaf first. Each may import only the targets listed as its dependencies (and the
// system modules PackageGraphTests allows it); PackageGraphTests holds this graph.
//   KFPolicyRuntime   what generated Swift tables need at run time: standard library only
//   KFPolicy          the compiler: source, syntax, checking, the model, the emitters, the diff;
//                     pure (policy text in, model and text out; it reads files, nothing else)
//   KFPolicyRender    diagnostics, diffs, matrices and graphs as text, markdown, HTML, JSON, DOT
//   KFPolicyDriver    the process: gen's driver, atomic writes, signals, git, Graphviz, terminals
//   KFPolicyClang     everything that parses C with libclang: validation, kernel sources, lint
//   kfpolicy          the command line (ArgumentParser): argument handling and exit codes
//   kfpolicy-gen      gen without libclang or ArgumentParser, for the build plugin
let package = Package(
    name: "kfpolicy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kfpolicy", targets: ["kfpolicy"]),
        .library(name: "KFPolicy", targets: ["KFPolicy"]),
        // What a package that uses the build plugin depends on: the types its tables conform to.
        .library(name: "KFPolicyRuntime", targets: ["KFPolicyRuntime"]),
        .executable(name: "kfpolicy-gen", targets: ["kfpolicy-gen"]),
        .plugin(name: "KFPolicyPlugin", targets: ["KFPolicyPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "KFPolicyRuntime"),
        .target(name: "KFPolicy", dependencies: ["KFPolicyRuntime"]),
        .target(name: "KFPolicyRender", dependencies: ["KFPolicy"]),
        .target(name: "KFPolicyDriver", dependencies: ["KFPolicy", "KFPolicyRender"]),
        // libclang's C API (Debian's libclang-dev). Only KFPolicyClang imports it.
        .systemLibrary(name: "CLibClang"),
        .target(
            name: "KFPolicyClang",
            dependencies: ["KFPolicy", "CLibClang"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])]
        ),
        // The Language Server for .policy files (`kfpolicy lsp`): JSON-RPC over stdio.
        .target(name: "KFPolicyLSP", dependencies: ["KFPolicy"]),
        .executableTarget(
            name: "kfpolicy",
            dependencies: [
                "KFPolicy", "KFPolicyRender", "KFPolicyDriver", "KFPolicyClang", "KFPolicyLSP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "kfpolicy-gen", dependencies: ["KFPolicy", "KFPolicyDriver"]),
        // Build-tool plugin: Swift tables for every .policy file of a target. Builds a command line only.
        .plugin(name: "KFPolicyPlugin", capability: .buildTool(), dependencies: ["kfpolicy-gen"]),
        // The committed Swift tables of every shipped policy, compiled so they stay valid Swift.
        .target(
            name: "GeneratedPolicies",
            dependencies: ["KFPolicyRuntime"],
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
        .target(name: "KFPolicyFuzz", dependencies: ["KFPolicy", "KFPolicyRender"], path: "Sources/kfpolicy-fuzz/Oracle"),
        .executableTarget(name: "kfpolicy-fuzz", dependencies: ["KFPolicy", "KFPolicyFuzz"], path: "Sources/kfpolicy-fuzz/Main"),
        // The -I is for debug builds: -enable-testing makes KFPolicyClang's internal import of
        // CLibClang visible to its clients, so the tests need libclang's headers too.
        .testTarget(
            name: "KFPolicyTests",
            dependencies: [
                "KFPolicyRuntime", "KFPolicy", "KFPolicyRender", "KFPolicyDriver", "KFPolicyClang", "KFPolicyLSP",
                "GeneratedPolicies", "KFPolicyFuzz",
            ],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I/usr/lib/llvm-14/include"])]
        ),
    ]
)
