import Foundation
import KFPolicy
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Interrupting `kfpolicy gen` (SIGINT, SIGTERM) never leaves a truncated output or a
/// temporary file: the old output stays, or the new one is complete.
final class InterruptTests: XCTestCase {
    /// A signal while the new header sits complete in its temporary file, just before the
    /// rename (held there by the KFPOLICY_TEST_PAUSE_BEFORE_RENAME hook): the process dies of
    /// the signal, the temporary file is gone and the old header is untouched.
    func testSignalBeforeRenameRemovesTheTemporaryFile() throws {
        let c = try compileShipped("Policies/scx.policy")
        let header = Array(CEmitter.header(c.policy, sourceName: "scx.policy").utf8)
        for sig in [SIGINT, SIGTERM] {
            let out = makeTempDir("interrupt")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let old = Array("/* the header of an earlier run */\n".utf8)
            try Data(old).write(to: URL(fileURLWithPath: out + "/scx_kfpolicy.h"))
            let child = try Child.spawn(builtKfpolicy, ["gen", packageRoot + "/Policies/scx.policy", "-o", out, "--no-validate"],
                                        env: ["KFPOLICY_TEST_PAUSE_BEFORE_RENAME": "30000"])
            // Wait until the temporary file holds the whole header.
            var temp: String?
            let deadline = Date().addingTimeInterval(60)
            while temp == nil, Date() < deadline {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
                if let t = names.first(where: { $0.hasPrefix(".scx_kfpolicy.h.tmp.") }),
                   (try? FileManager.default.attributesOfItem(atPath: out + "/" + t)[.size] as? Int) == header.count {
                    temp = t
                } else {
                    usleep(20_000)
                }
            }
            XCTAssertNotNil(temp, "the temporary file never held the whole header")
            kill(child.pid, sig)
            let r = child.wait()
            XCTAssertEqual(r.signal, sig, "gen should die of signal \(sig); status \(r.status), stderr: \(r.err)")
            XCTAssertLessThan(r.seconds, 30, "the signal did not interrupt the pause")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["scx_kfpolicy.h"], "a temporary file was left")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/scx_kfpolicy.h")), Data(old))
        }
    }

    /// Signals at spread-out moments of a run that writes a 1 MB header: whenever the signal
    /// lands (reading, checking, emitting, writing, renaming), the directory holds exactly the
    /// old header or exactly the new one, and nothing else.
    func testSignalsAtAnyMomentLeaveOldOrCompleteOutput() throws {
        let dir = makeTempDir("interrupt-big")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "policy big for struct big_ops;\n"
        for i in 0..<16 { text += "context c\(i);\n" }
        text += "callback " + (0..<16).map { "cb\($0)" }.joined(separator: ", ") + ": any;\n"
        text += "set s: struct_ops;\n"
        text += (0..<20000).map { "kfunc k\($0) {\n    in s;\n    allow ~c\($0 % 16);\n}\n" }.joined()
        let path = dir + "/big.policy"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let c = compileText(text, path: path).downgrading([.kernelLimit])
        XCTAssertFalse(c.diagnostics.hasErrors)
        let new = Data(CEmitter.header(c.policy, sourceName: "big.policy").utf8)
        let old = Data("/* the header of an earlier run */\n".utf8)
        // One whole run first, to spread the signals over its length.
        let full = try runMeasured(builtKfpolicy, ["gen", "--ignore-kernel-limits", "--no-validate", path, "-o", dir + "/full"])
        XCTAssertEqual(full.status, 0, full.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/full/big_kfpolicy.h")), new)
        var outcomes: [String: Int] = [:]
        let delays = [0.0, 0.2, 0.4, 0.6, 0.75, 0.85, 0.9, 0.95, 1.0, 1.3].map { Int($0 * full.seconds * 1000) }
        for (i, delayMS) in delays.enumerated() {
            let out = dir + "/out\(i)"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try old.write(to: URL(fileURLWithPath: out + "/big_kfpolicy.h"))
            let child = try Child.spawn(builtKfpolicy, ["gen", "--ignore-kernel-limits", "--no-validate", path, "-o", out])
            usleep(useconds_t(delayMS * 1000))
            kill(child.pid, i % 2 == 0 ? SIGTERM : SIGINT)
            let r = child.wait()
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["big_kfpolicy.h"], "after \(delayMS) ms: a temporary file was left")
            let now = try Data(contentsOf: URL(fileURLWithPath: out + "/big_kfpolicy.h"))
            XCTAssertTrue(now == old || now == new, "after \(delayMS) ms: a truncated or mixed output (\(now.count) bytes)")
            outcomes[r.signal == nil ? "finished" : now == old ? "killed, old kept" : "killed after the rename", default: 0] += 1
        }
        print("interrupt outcomes: \(outcomes)")
        XCTAssertGreaterThan(outcomes["killed, old kept", default: 0], 0, "no signal landed before the rename: \(outcomes)")
        XCTAssertGreaterThanOrEqual(new.count, 1 << 20)
    }
}

/// `gen` rewrites an output only when its bytes change; the comparison reads the file a chunk at
/// a time, so it must catch a difference anywhere, including past the first chunk.
final class WriteIfChangedTests: XCTestCase {
    func testComparesEveryByte() throws {
        let dir = makeTempDir("write-if-changed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.h"
        let bytes = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) } // three 1 MB chunks
        XCTAssertFalse(fileHolds(path, bytes), "a missing file")
        XCTAssertTrue(try writeIfChanged(path, bytes))
        XCTAssertTrue(fileHolds(path, bytes))
        XCTAssertFalse(try writeIfChanged(path, bytes), "unchanged bytes are not written again")
        for at in [0, (1 << 20) - 1, 1 << 20, bytes.count - 1] {
            var other = bytes
            other[at] ^= 1
            XCTAssertFalse(fileHolds(path, other), "a difference at byte \(at)")
            XCTAssertTrue(try writeIfChanged(path, other))
            XCTAssertTrue(fileHolds(path, other))
            XCTAssertTrue(try writeIfChanged(path, bytes))
        }
        XCTAssertFalse(fileHolds(path, Array(bytes.dropLast())), "a shorter output")
        XCTAssertFalse(fileHolds(path, bytes + [0]), "a longer output")
        XCTAssertFalse(fileHolds(dir, []), "a directory")
    }
}
