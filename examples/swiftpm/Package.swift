// swift-tools-version:6.0
// An example package that uses kfpolicy's build-tool plugin: the .policy files in
// Sources/NetdevPolicies become Swift tables when the target builds, and the target's code and
// tests use them. The target depends on the KFPolicyRuntime product, which the tables need. Build and test it from the repository root with
//     swift test --package-path examples/swiftpm
import PackageDescription

let package = Package(
    name: "kfpolicy-swiftpm-example",
    dependencies: [
        // In a package of your own: .package(url: "<kfpolicy's repository>", from: "<version>").
        // `name:` gives the package a fixed identity whatever the checkout's folder is called.
        .package(name: "kfpolicy", path: "../.."),
    ],
    targets: [
        .target(
            name: "NetdevPolicies",
            // The generated tables conform to KFPolicyRuntime's types, which answer every lookup.
            dependencies: [.product(name: "KFPolicyRuntime", package: "kfpolicy")],
            plugins: [.plugin(name: "KFPolicyPlugin", package: "kfpolicy")]
        ),
        .testTarget(name: "NetdevPoliciesTests", dependencies: ["NetdevPolicies"]),
    ]
)
