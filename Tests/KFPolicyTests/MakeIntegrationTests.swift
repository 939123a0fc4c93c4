import Foundation
import KFPolicy
import XCTest

/// examples/make: the make fragment (kfpolicy.mk) and the Kbuild fragment (kbuild/) regenerate
/// a header when its policy or an included policy changes, and not otherwise.
final class MakeIntegrationTests: XCTestCase {
    var kfpolicy: String { SwiftTablesGeneratedFilesTests.builtProduct("kfpolicy") }

    /// A copy of examples/make's sources to build in (not what a build there left behind), so
    /// the repository stays clean and every build starts from nothing.
    func copyExample() throws -> String {
        let dir = makeTempDir("make"), src = packageRoot + "/examples/make"
        let fm = FileManager.default
        for rel in try fm.subpathsOfDirectory(atPath: src).sorted() {
            let name = (rel as NSString).lastPathComponent
            let isSource = ["Makefile", "Kbuild"].contains(name) || ["policy", "c", "mk", "kbuild"].contains((name as NSString).pathExtension)
            guard isSource, !rel.hasPrefix("generated/"), !name.hasSuffix(".mod.c") else { continue }
            try fm.createDirectory(atPath: dir + "/" + (rel as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: src + "/" + rel, toPath: dir + "/" + rel)
        }
        return dir
    }

    func mtime(_ path: String) throws -> Date {
        try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
    }

    /// Moves files' times back, so that a later touch is newer even where timestamps have a
    /// resolution of one second.
    func age(_ paths: [String]) throws {
        for p in paths where FileManager.default.fileExists(atPath: p) {
            try FileManager.default.setAttributes([.modificationDate: try mtime(p).addingTimeInterval(-10)], ofItemAtPath: p)
        }
    }

    func touch(_ path: String) throws {
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
    }

    func testMakeRegeneratesOnlyWhenAPolicyOrAnIncludeChanges() throws {
        let dir = try copyExample()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let make = { try runProcess("/usr/bin/env", ["make", "KFPOLICY=" + self.kfpolicy, "KERNEL_STANDIN=" + packageRoot + "/Tests/Harness"], cwd: dir) }
        let header = dir + "/generated/demo_kfpolicy.h", object = dir + "/consumer.o"
        let include = dir + "/kbuild/common/locks.policy"
        func ran(_ r: (status: Int32, out: String, err: String)) -> (gen: Bool, cc: Bool) {
            XCTAssertEqual(r.status, 0, r.out + r.err)
            return (r.out.contains(" gen kbuild/demo.policy -o generated --depfile generated/.demo_kfpolicy.h.d"), r.out.contains("-c consumer.c -o consumer.o"))
        }

        // First build: generate, then compile.
        var r = try make()
        XCTAssertTrue(ran(r) == (true, true), r.out)
        let first = try String(contentsOfFile: header, encoding: .utf8)
        XCTAssertEqual(first, CEmitter.header(try Compilation.compile(path: dir + "/kbuild/demo.policy").policy, sourceName: "demo.policy"))
        let depfile = try String(contentsOfFile: dir + "/generated/.demo_kfpolicy.h.d", encoding: .utf8)
        XCTAssertTrue(depfile.contains("kbuild/common/locks.policy"), depfile)

        // Second build: nothing to do.
        r = try make()
        XCTAssertTrue(ran(r) == (false, false), r.out)
        XCTAssertTrue(r.out.contains("Nothing to be done"), r.out)

        // Touching the included policy regenerates the header and rebuilds its user, once.
        try age([header, object, dir + "/generated/.demo_kfpolicy.h.d"])
        try touch(include)
        r = try make()
        XCTAssertTrue(ran(r) == (true, true), r.out)
        r = try make()
        XCTAssertTrue(ran(r) == (false, false), r.out)

        // Editing the included policy changes the header.
        try age([header, object, dir + "/generated/.demo_kfpolicy.h.d"])
        let text = try String(contentsOfFile: include, encoding: .utf8)
        try text.replacingOccurrences(of: "/// The queue lock is held.", with: "/// The queue's spinlock is held.")
            .write(toFile: include, atomically: true, encoding: .utf8)
        r = try make()
        XCTAssertTrue(ran(r) == (true, true), r.out)
        let second = try String(contentsOfFile: header, encoding: .utf8)
        XCTAssertNotEqual(second, first)
        XCTAssertTrue(second.contains("The queue's spinlock is held."))

        // Touching only the consumer recompiles it without running kfpolicy.
        try age([object])
        try touch(dir + "/consumer.c")
        r = try make()
        XCTAssertTrue(ran(r) == (false, true), r.out)
    }

    /// The Kbuild fragment in a real module build against Debian's 6.12 headers.
    func testKbuildRegeneratesOnlyWhenAPolicyOrAnIncludeChanges() throws {
        // scripts/setup.sh installs the headers: missing ones fail the test, they do not skip it.
        let kdir = try KbuildTests.kernelHeaders(version: "6.12")
        let dir = try copyExample()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mod = dir + "/kbuild"
        let make = { try runProcess("/usr/bin/env", ["make", "-C", kdir, "M=" + mod, "KFPOLICY=" + self.kfpolicy, "modules"]) }
        func ran(_ r: (status: Int32, out: String, err: String)) -> (gen: Bool, cc: Bool) {
            XCTAssertEqual(r.status, 0, r.out + r.err)
            return (r.out.contains("KFPOLICY \(mod)/demo_kfpolicy.h"), r.out.contains("CC [M]  \(mod)/demo.o"))
        }
        let start = Date()
        var r = try make()
        XCTAssertTrue(ran(r) == (true, true), r.out + r.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: mod + "/kfp_make_demo.ko"))
        let cmd = try String(contentsOfFile: mod + "/.demo_kfpolicy.h.cmd", encoding: .utf8)
        XCTAssertTrue(cmd.contains("common/locks.policy"), "fixdep read kfpolicy's depfile: \(cmd)")

        r = try make()
        XCTAssertTrue(ran(r) == (false, false), r.out)

        try age([mod + "/demo_kfpolicy.h", mod + "/demo.o"])
        try touch(mod + "/common/locks.policy")
        r = try make()
        XCTAssertTrue(ran(r) == (true, true), r.out)
        r = try make()
        XCTAssertTrue(ran(r) == (false, false), r.out)
        print("MakeIntegrationTests: four Kbuild runs took \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
}
