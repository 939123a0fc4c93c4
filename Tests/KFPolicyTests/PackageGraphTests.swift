import Foundation
import XCTest

/// The allowed import graph, written down as data and held (as Go's go/build/deps_test.go holds
/// the standard library's): Package.swift declares exactly these dependencies, every source
/// file imports only its target's declared dependencies and the system modules allowed it, and
/// the core stays pure.
final class PackageGraphTests: XCTestCase {
    /// Each target's dependencies, leaf first. Changing the layering means changing this table.
    static let allowedDependencies: [String: Set<String>] = [
        "KFPolicyRuntime": [],
        "KFPolicy": ["KFPolicyRuntime"],
        "KFPolicyRender": ["KFPolicy"],
        "KFPolicyDriver": ["KFPolicy", "KFPolicyRender"],
        "CLibClang": [],
        "KFPolicyClang": ["KFPolicy", "CLibClang"],
        "KFPolicyLSP": ["KFPolicy"],
        "kfpolicy": ["KFPolicy", "KFPolicyRender", "KFPolicyDriver", "KFPolicyClang", "KFPolicyLSP", "ArgumentParser"],
        "kfpolicy-gen": ["KFPolicy", "KFPolicyDriver"],
        "KFPolicyPlugin": ["kfpolicy-gen"],
        "GeneratedPolicies": ["KFPolicyRuntime"],
        "KFPolicyFuzz": ["KFPolicy", "KFPolicyRender"],
        "kfpolicy-fuzz": ["KFPolicy", "KFPolicyFuzz"],
        "KFPolicyTests": ["KFPolicyRuntime", "KFPolicy", "KFPolicyRender", "KFPolicyDriver", "KFPolicyClang",
                          "KFPolicyLSP", "GeneratedPolicies", "KFPolicyFuzz"],
    ]

    /// System modules a target may import besides its dependencies. The runtime and the core
    /// import none but the core's two exceptions below.
    static let allowedSystemModules: [String: Set<String>] = [
        "KFPolicy": ["Synchronization", "Glibc", "Darwin"],
        "KFPolicyDriver": ["Glibc", "Darwin"],
        "KFPolicyClang": ["Glibc", "Darwin"],
        // JSON-RPC messages are read with Foundation's JSON coders.
        "KFPolicyLSP": ["FoundationEssentials", "Foundation", "Glibc", "Darwin"],
        "kfpolicy": ["Glibc", "Darwin"],
        "kfpolicy-gen": ["Glibc", "Darwin"],
        "kfpolicy-fuzz": ["Glibc"],
        "KFPolicyPlugin": ["Foundation", "PackagePlugin"],
    ]

    /// The only core files that may import the C library: reading policy files.
    static let coreFilesUsingLibc: Set<String> = ["Sources/KFPolicy/Check/Compilation.swift"]

    /// Process-level calls the core must not make: signals, child processes, the terminal, the
    /// environment, writing or renaming files, ending the process.
    static let processCalls = ["signal(", "sigaction", "sigprocmask", "pthread_sigmask", "SIGPIPE", "posix_spawn",
                               "fork(", "execv", "waitpid", "isatty(", "getenv(", "setenv(", "mkstemp", "rename(",
                               "unlink(", "fsync(", "exit(", "abort("]

    /// The targets' declared dependencies, as SwiftPM reads Package.swift.
    static func declaredDependencies() throws -> [String: Set<String>] {
        let scratch = makeTempDir("dump-package")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let r = try runProcess("/usr/bin/env", ["swift", "package", "--package-path", packageRoot, "--scratch-path", scratch,
                                                "dump-package"])
        guard r.status == 0 else { throw GraphError(message: "swift package dump-package failed:\n\(r.err)") }
        struct Manifest: Decodable {
            struct Target: Decodable { let name: String; let dependencies: [[String: [String?]]] }
            let targets: [Target]
        }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(r.out.utf8))
        var out: [String: Set<String>] = [:]
        for t in manifest.targets {
            // Each dependency is {"byName" | "target" | "product": [name, ...]}.
            out[t.name] = Set(t.dependencies.compactMap { $0.values.first?.first ?? nil })
        }
        return out
    }

    struct GraphError: Error, CustomStringConvertible { let message: String; var description: String { message } }

    /// The directory of each target's sources, relative to the package root.
    static let sourceDirectories: [String: String] = [
        "KFPolicyRuntime": "Sources/KFPolicyRuntime", "KFPolicy": "Sources/KFPolicy",
        "KFPolicyRender": "Sources/KFPolicyRender", "KFPolicyDriver": "Sources/KFPolicyDriver",
        "KFPolicyClang": "Sources/KFPolicyClang", "kfpolicy": "Sources/kfpolicy", "kfpolicy-gen": "Sources/kfpolicy-gen",
        "KFPolicyFuzz": "Sources/kfpolicy-fuzz/Oracle", "kfpolicy-fuzz": "Sources/kfpolicy-fuzz/Main",
        "KFPolicyPlugin": "Plugins/KFPolicyPlugin", "GeneratedPolicies": "Generated",
    ]

    /// Every .swift file under a directory, relative to the package root.
    static func swiftFiles(in dir: String) -> [String] {
        let e = FileManager.default.enumerator(atPath: packageRoot + "/" + dir)
        return (e?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".swift") }.sorted().map { dir + "/" + $0 }
    }

    /// The modules a file imports (`import X`, `internal import X`, `@preconcurrency import X`, ...).
    static func imports(_ text: String) -> Set<String> {
        var out = Set<String>()
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
                  words[..<i].allSatisfy({ $0.hasPrefix("@") || ["internal", "public", "package", "private"].contains($0) })
            else { continue }
            out.insert(String(words[i + 1].split(separator: ".").first!))
        }
        return out
    }

    func testPackageDeclaresTheAllowedGraph() throws {
        let declared = try Self.declaredDependencies()
        XCTAssertEqual(Set(declared.keys), Set(Self.allowedDependencies.keys), "targets")
        for (target, deps) in declared.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(deps, Self.allowedDependencies[target], "dependencies of \(target) in Package.swift")
        }
    }

    func testEveryFileImportsOnlyWhatItsTargetMay() throws {
        var checked = 0
        for (target, dir) in Self.sourceDirectories.sorted(by: { $0.key < $1.key }) {
            let allowed = Self.allowedDependencies[target]!.union(Self.allowedSystemModules[target] ?? [])
            let files = Self.swiftFiles(in: dir)
            XCTAssertFalse(files.isEmpty, "\(dir) holds no Swift file")
            for f in files {
                let found = Self.imports(try String(contentsOfFile: packageRoot + "/" + f, encoding: .utf8))
                XCTAssertTrue(found.isSubset(of: allowed), "\(f) imports \(found.subtracting(allowed).sorted()), outside \(target)'s graph")
                if target == "KFPolicy", found.contains("Glibc") || found.contains("Darwin") {
                    XCTAssertTrue(Self.coreFilesUsingLibc.contains(f), "\(f): only reading files may use the C library in the core")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 60)
    }

    /// The core (and the runtime) make no process-level call: no signal handler, no SIGPIPE, no
    /// child process, no terminal or environment, no writes. Those are KFPolicyDriver's. Only a
    /// file that imports the C library can make such a call (the imports test holds that to the
    /// file that reads policies), so those files are searched for the calls.
    func testCoreMakesNoProcessCalls() throws {
        var checked = 0
        for dir in ["Sources/KFPolicy", "Sources/KFPolicyRuntime"] {
            for f in Self.swiftFiles(in: dir) {
                let text = try String(contentsOfFile: packageRoot + "/" + f, encoding: .utf8)
                guard !Self.imports(text).isDisjoint(with: ["Glibc", "Darwin"]) else { continue }
                // Code only: comments may name what the core leaves to the driver.
                let code = text.split(separator: "\n").map { $0.components(separatedBy: "//").first! }.joined(separator: "\n")
                for call in Self.processCalls {
                    XCTAssertFalse(code.contains(call), "\(f) calls \(call): process-level work belongs in KFPolicyDriver")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, Self.coreFilesUsingLibc.count, "the core files that may call the C library")
        // The test can see a call where there is one.
        XCTAssertTrue(try String(contentsOfFile: packageRoot + "/Sources/KFPolicyDriver/Subprocess.swift", encoding: .utf8)
            .contains("posix_spawn"))
    }
}
