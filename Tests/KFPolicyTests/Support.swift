import Foundation
import KFPolicy
import KFPolicyRender
import XCTest

/// The package's root directory, found from this file's path.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Every policy file the project ships (top level and examples), relative to the root.
func shippedPolicies() -> [String] {
    var out: [String] = []
    for dir in ["Policies", "Policies/examples"] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: packageRoot + "/" + dir)) ?? []
        out += names.filter { $0.hasSuffix(".policy") }.sorted().map { dir + "/" + $0 }
    }
    return out
}

/// Compiles a policy file under the package root and fails the test on errors.
func compileShipped(_ rel: String, file: StaticString = #filePath, line: UInt = #line) throws -> Compilation {
    let c = try Compilation.compile(path: packageRoot + "/" + rel)
    if c.diagnostics.hasErrors {
        let r = DiagnosticRenderer(sources: c.sources, color: false)
        XCTFail("\(rel) has errors:\n" + c.diagnostics.sorted.map(r.render).joined(), file: file, line: line)
    }
    return c
}

/// Compiles policy text given in the test.
func compileText(_ text: String, path: String = "test.policy", includes: [String: String] = [:]) -> Compilation {
    Compilation.compile(path: path, bytes: Array(text.utf8), reader: { (p: String) throws(FileError) -> [UInt8] in
        guard let t = includes[p] else { throw FileError(path: p, reason: "No such file or directory") }
        return Array(t.utf8)
    })
}

/// Runs a program; returns its exit status and standard output and error.
@discardableResult
func runProcess(_ exe: String, _ args: [String], cwd: String? = nil) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let o = Pipe(), e = Pipe()
    p.standardOutput = o
    p.standardError = e
    try p.run()
    // Read both pipes concurrently so a large output cannot block the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    let errHandle = e.fileHandleForReading
    DispatchQueue.global().async { errBox.data = errHandle.readDataToEndOfFile(); group.leave() }
    let outData = o.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
}

/// The directory of this test process's temporary directories, removed when the process exits,
/// so a failed test or one that keeps its directory for other tests leaves nothing behind.
let testTempRoot: String = {
    let root = NSTemporaryDirectory() + "kfpolicy-tests-\(getpid())"
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: testTempRoot) }
    return root
}()

func makeTempDir(_ name: String) -> String {
    let dir = testTempRoot + "/\(name)-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The built kfpolicy executable (swift test builds it with the tests).
var kfpolicyBinary: String { packageRoot + "/.build/debug/kfpolicy" }
