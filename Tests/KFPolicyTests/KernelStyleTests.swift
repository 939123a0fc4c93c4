import Foundation
import KFPolicy
import XCTest

/// Every committed header reads as kernel code to the kernel's own tools, from Debian's
/// linux-source-6.12: `scripts/checkpatch.pl --strict` finds no error, warning or check, and
/// `scripts/kernel-doc -none -Wall` has nothing to say about its kernel-doc.
final class KernelStyleTests: XCTestCase {
    /// The committed headers, and one with every optional part.
    func headers() throws -> [String] {
        var out: [String] = []
        for dir in ["Generated", "Generated/examples"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/" + dir).sorted()
            out += names.filter { $0.hasSuffix("_kfpolicy.h") }.map { packageRoot + "/\(dir)/" + $0 }
        }
        let c = Compilation.compile(path: "opt.policy", bytes: Array(HarnessTests.optionalPartsPolicy.utf8))
        XCTAssertFalse(c.diagnostics.hasErrors)
        let dir = makeTempDir("kernel-style")
        for p in [c.policy, HarnessTests.otherKernel(c.policy)] {
            let path = dir + "/opt_\(p.kernel)_kfpolicy.h"
            try CEmitter.header(p, sourceName: "opt.policy").write(toFile: path, atomically: true, encoding: .utf8)
            out.append(path)
        }
        XCTAssertGreaterThan(out.count, 10)
        return out
    }

    func testCheckpatchStrictIsClean() throws {
        let src = try kernelSource612()
        for h in try headers() {
            let r = try runProcess("/usr/bin/perl", [src + "/scripts/checkpatch.pl", "--no-tree", "--strict", "--file", h])
            XCTAssertTrue(r.out.contains("total: 0 errors, 0 warnings, 0 checks"), "\(h):\n\(r.out)\(r.err)")
        }
    }

    func testKernelDocIsClean() throws {
        let src = try kernelSource612()
        for h in try headers() {
            let r = try runProcess("/usr/bin/perl", [src + "/scripts/kernel-doc", "-none", "-Wall", h])
            XCTAssertEqual(r.status, 0, "\(h): \(r.err)")
            XCTAssertEqual(r.out + r.err, "", h)
        }
    }

    /// The headers stay small: the scx header replaces mainline's hand-written sets, table and filter.
    func testHeaderSizes() throws {
        func lines(_ rel: String) throws -> Int {
            try String(contentsOfFile: packageRoot + "/" + rel, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count - 1
        }
        print("KernelStyleTests: Generated/scx_kfpolicy.h has \(try lines("Generated/scx_kfpolicy.h")) lines")
        XCTAssertLessThan(try lines("Generated/examples/minimal_kfpolicy.h"), 80, "a policy without kfuncs has a short header")
    }
}
