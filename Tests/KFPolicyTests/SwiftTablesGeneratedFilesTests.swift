import Foundation
import KFPolicy
import XCTest

/// The generated files on disk: Generated/ holds exactly the outputs of the shipped policies,
/// `gen --check` catches a hand-edited or stale .h or .swift, and kfpolicy-gen (the plugin's
/// tool) writes the same bytes as `kfpolicy gen`.
final class SwiftTablesGeneratedFilesTests: XCTestCase {
    /// A product built beside the test bundle (whatever --scratch-path was used), else the
    /// default build folder.
    static func builtProduct(_ name: String) -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        // On Linux the runner is <build>/debug/<package>PackageTests.xctest, a file; elsewhere a bundle.
        if dir.path.hasSuffix(".xctest/Contents/MacOS") { dir = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
        let beside = dir.appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : packageRoot + "/.build/debug/" + name
    }

    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// No generated file without a policy (a deleted or renamed policy leaves none behind), and
    /// none missing.
    func testGeneratedHoldsExactlyTheOutputsOfTheShippedPolicies() throws {
        var expected: [String: Set<String>] = ["Generated": [], "Generated/examples": []]
        for rel in shippedPolicies() {
            let c = try compileShipped(rel)
            let dir = rel.hasPrefix("Policies/examples/") ? "Generated/examples" : "Generated"
            for g in Generator.outputs(c.policy, path: rel, emit: [.c, .swift]) { expected[dir]!.insert(g.name) }
        }
        for (dir, names) in expected {
            let present = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/" + dir)
                .filter { $0.hasSuffix(".h") || $0.hasSuffix(".swift") }
            XCTAssertEqual(Set(present), names, "\(dir): generated files without a policy, or missing ones")
        }
    }

    /// `gen --check` fails, naming the file and showing a diff, for a hand-edited .swift, a
    /// hand-edited .h, and both when an included policy changes.
    func testGenCheckCatchesHandEditedAndStaleSwiftAndHeader() throws {
        let bin = Self.builtProduct("kfpolicy")
        let dir = makeTempDir("swift-check")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir + "/p/include.policy", read(packageRoot + "/Policies/examples/include.policy"))
        let shared = try read(packageRoot + "/Policies/examples/common/shared.policy")
        try write(dir + "/p/common/shared.policy", shared)
        let gen = ["gen", "p/include.policy", "-o", "out", "--emit", "c", "swift"]
        let check = ["gen", "--check", "p/include.policy", "-o", "out", "--emit", "c", "swift"]
        var r = try runProcess(bin, gen, cwd: dir)
        XCTAssertEqual(r.status, 0, r.err)
        let swiftPath = dir + "/out/IncludePolicy.swift", headerPath = dir + "/out/include_kfpolicy.h"
        let swift = try read(swiftPath), header = try read(headerPath)
        XCTAssertEqual(swift, try read(packageRoot + "/Generated/examples/IncludePolicy.swift"), "same bytes as the committed file")
        XCTAssertEqual(try runProcess(bin, check, cwd: dir).status, 0)

        // A hand edit of the Swift tables: make a sleepable callback not sleepable.
        let edited = swift.replacingOccurrences(of: "callbackRow(\"open\", contexts: [.unlocked], sleepable: true)",
                                                with: "callbackRow(\"open\", contexts: [.unlocked])")
        XCTAssertNotEqual(edited, swift)
        try write(swiftPath, edited)
        r = try runProcess(bin, check, cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("out/IncludePolicy.swift: stale"), r.err)
        XCTAssertFalse(r.err.contains("include_kfpolicy.h"), r.err)
        XCTAssertTrue(r.err.contains("--emit c swift"), "the hint repeats --emit: \(r.err)")
        XCTAssertTrue(r.out.contains("-            callbackRow(\"open\", contexts: [.unlocked]),"), r.out)
        XCTAssertTrue(r.out.contains("+            callbackRow(\"open\", contexts: [.unlocked], sleepable: true),"), r.out)
        try write(swiftPath, swift)

        // A hand edit of the header.
        let editedHeader = header.replacingOccurrences(of: "DEMO_INCLUDE_CTX_RESETTING = BIT(3),",
                                                       with: "DEMO_INCLUDE_CTX_RESETTING = BIT(4),")
        XCTAssertNotEqual(editedHeader, header)
        try write(headerPath, editedHeader)
        r = try runProcess(bin, check, cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("out/include_kfpolicy.h: stale"), r.err)
        XCTAssertFalse(r.err.contains("IncludePolicy.swift"), r.err)
        try write(headerPath, header)
        XCTAssertEqual(try runProcess(bin, check, cwd: dir).status, 0)

        // A changed include: both outputs are stale (a context's doc travels into both).
        let editedShared = shared.replacingOccurrences(of: "/// The transmit queue lock is held.", with: "/// The TX queue lock is held.")
        XCTAssertNotEqual(editedShared, shared)
        try write(dir + "/p/common/shared.policy", editedShared)
        r = try runProcess(bin, check, cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("out/include_kfpolicy.h: stale") && r.err.contains("out/IncludePolicy.swift: stale"), r.err)
        // A deleted output is missing.
        try FileManager.default.removeItem(atPath: swiftPath)
        r = try runProcess(bin, check, cwd: dir)
        XCTAssertTrue(r.err.contains("out/IncludePolicy.swift: missing"), r.err)
    }

    /// kfpolicy-gen writes what `kfpolicy gen` writes; with --allow-include-only a file of
    /// shared declarations gets a note instead of an error; errors still fail with locations.
    func testKfpolicyGenMatchesGenAndHandlesIncludeOnlyFiles() throws {
        let tool = Self.builtProduct("kfpolicy-gen")
        let dir = makeTempDir("kfpolicy-gen")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir + "/p/include.policy", read(packageRoot + "/Policies/examples/include.policy"))
        try write(dir + "/p/common/shared.policy", read(packageRoot + "/Policies/examples/common/shared.policy"))
        var r = try runProcess(tool, ["--emit", "swift", "--emit", "c", "-o", "out", "--depfile", "out/include.d", "p/include.policy"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try read(dir + "/out/IncludePolicy.swift"), try read(packageRoot + "/Generated/examples/IncludePolicy.swift"))
        XCTAssertEqual(try read(dir + "/out/include_kfpolicy.h"), try read(packageRoot + "/Generated/examples/include_kfpolicy.h"))
        XCTAssertEqual(try read(dir + "/out/include.d"),
                       "out/IncludePolicy.swift out/include_kfpolicy.h: \\\n  p/include.policy \\\n  p/common/shared.policy\n\np/include.policy:\n\np/common/shared.policy:\n")
        // The same driver as `kfpolicy gen`: --check, and --emit with several kinds at once.
        let check = ["--check", "--emit", "swift", "c", "-o", "out", "p/include.policy"]
        XCTAssertEqual(try runProcess(tool, check, cwd: dir).status, 0)
        try write(dir + "/out/IncludePolicy.swift", "// edited\n")
        r = try runProcess(tool, check, cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("out/IncludePolicy.swift: stale; run 'kfpolicy-gen p/include.policy -o out --emit swift c'"), r.err)
        XCTAssertEqual(try read(dir + "/out/IncludePolicy.swift"), "// edited\n", "--check writes nothing")

        // A shared file on its own is an error (it declares no policy) ...
        r = try runProcess(tool, ["--emit", "swift", "-o", "out", "p/common/shared.policy"], cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("p/common/shared.policy:1:1: error: file declares no policy [KFP104]"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/SharedPolicy.swift"))
        // ... unless the caller (the build plugin) says shared files are expected.
        r = try runProcess(tool, ["--emit", "swift", "--allow-include-only", "-o", "out", "p/common/shared.policy"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "", "no warnings about declarations only its includers use")
        let note = try read(dir + "/out/SharedPolicy.swift")
        XCTAssertTrue(note.contains("shared.policy declares no policy"), note)
        XCTAssertFalse(note.contains("enum"), "no tables for a shared file")
        // A syntax error in a shared file is still an error, with its location.
        try write(dir + "/p/common/broken.policy", "context a\ncontext b;\n")
        r = try runProcess(tool, ["--emit", "swift", "--allow-include-only", "-o", "out", "p/common/broken.policy"], cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("p/common/broken.policy:1:"), r.err)
        // Usage errors exit 2 and say what is wrong.
        r = try runProcess(tool, ["--emit", "rust", "p/include.policy"], cwd: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("unknown output kind 'rust'"), r.err)
        r = try runProcess(tool, [], cwd: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("no policy file given"), r.err)
    }
}
