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
        // The command-line tool: argument handling, exit codes and rendering only.
        .executableTarget(
            name: "kfpolicy",
            dependencies: [
                "KFPolicy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "KFPolicyTests", dependencies: ["KFPolicy"]),
    ]
)
