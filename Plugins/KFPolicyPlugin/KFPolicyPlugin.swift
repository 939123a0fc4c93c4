// A SwiftPM build-tool plugin: for every .policy file of a target, run kfpolicy-gen to make its
// Swift tables at build time. It only builds command lines; what is generated, and every
// diagnostic, comes from kfpolicy-gen (the KFPolicy library, no libclang).
//
// Use it from a target:
//     .target(name: "MyPolicies", plugins: [.plugin(name: "KFPolicyPlugin", package: "kfpolicy")])
// and put the .policy files (and the files they include) in the target's directory.

import Foundation
import PackagePlugin

@main
struct KFPolicyPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        // Sorted so the commands, and so the build log, do not depend on directory order.
        let policies = target.sourceFiles(withSuffix: "policy").map(\.url).sorted { $0.path < $1.path }
        if policies.isEmpty { return [] }
        let tool = try context.tool(named: "kfpolicy-gen")
        let outputDir = context.pluginWorkDirectoryURL.appendingPathComponent("GeneratedSources")
        var seen: [String: URL] = [:]
        return try policies.map { policy in
            let name = swiftFileName(forPolicyAt: policy)
            if let other = seen[name] {
                throw PluginError(message: "\(policy.path) and \(other.path) would both generate \(name); rename one of them")
            }
            seen[name] = policy
            return .buildCommand(
                displayName: "kfpolicy: Swift tables from \(policy.lastPathComponent)",
                executable: tool.url,
                // --allow-include-only: the target's shared files (included by its policies) are
                // .policy files too; they get a file with no tables instead of an error.
                arguments: ["--emit", "swift", "--allow-include-only", "-o", outputDir.path, policy.path],
                // A policy may include any other .policy file of the target, so each command
                // depends on all of them. Includes from outside the target are not tracked.
                inputFiles: policies,
                outputFiles: [outputDir.appendingPathComponent(name)])
        }
    }

    /// The name kfpolicy-gen gives the Swift file (KFPolicy's `SwiftNamer.fileName(forPolicyAt:)`;
    /// a plugin cannot link the library, and the example package's build checks the two agree):
    /// `tcp_cong.policy` -> `TcpCongPolicy.swift`.
    func swiftFileName(forPolicyAt url: URL) -> String {
        var stem = url.lastPathComponent
        if stem.hasSuffix(".policy") { stem.removeLast(".policy".count) }
        var out = ""
        for word in stem.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }) {
            out += word.prefix(1).uppercased() + word.dropFirst()
        }
        if out.isEmpty || out.first!.isNumber { out = "P" + out }
        return out + "Policy.swift"
    }
}

struct PluginError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
