import Foundation
import KFPolicy
import KFPolicyRender
import KFPolicyLSP
import XCTest

/// A JSON-RPC client that speaks to a real `kfpolicy lsp` process through its standard input
/// and output, one message at a time, as an editor does.
final class LSPClient {
    let process = Process()
    let input = Pipe(), output = Pipe()
    var buffer: [UInt8] = []
    var nextID = 1
    /// Notifications that arrived while waiting for a response.
    var pending: [JSON] = []

    init(cwd: String) throws {
        process.executableURL = URL(fileURLWithPath: kfpolicyBinary)
        process.arguments = ["lsp"]
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        // A write to a server that died must fail the test, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        try process.run()
        // A server that hangs must fail the test, not hang it.
        let p = process
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if p.isRunning { p.terminate() } }
    }

    func send(_ message: JSON) throws {
        let body = message.serialized()
        try input.fileHandleForWriting.write(contentsOf: Data(Array("Content-Length: \(body.count)\r\n\r\n".utf8)
            + body))
    }

    func notify(_ method: String, _ params: JSON) throws {
        try send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    /// Sends a request and returns its response (result or error), keeping notifications.
    func request(_ method: String, _ params: JSON = .null) throws -> JSON {
        let id = nextID
        nextID += 1
        try send(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params])
        while true {
            let m = try receive()
            if m["method"].isNull, m["id"].int == id { return m }
            pending.append(m)
        }
    }

    /// The next `publishDiagnostics` for `uri`.
    func diagnostics(for uri: String) throws -> [JSON] {
        while true {
            let m: JSON
            if let i = pending.firstIndex(where: { $0["method"].string == "textDocument/publishDiagnostics" }) {
                m = pending.remove(at: i)
            } else {
                m = try receive()
            }
            if m["method"].string == "textDocument/publishDiagnostics", m["params"]["uri"].string == uri {
                return m["params"]["diagnostics"].array ?? []
            }
        }
    }

    /// Reads one framed message from the server.
    func receive() throws -> JSON {
        while true {
            if let end = findHeaderEnd() {
                let header = String(decoding: buffer[..<end], as: UTF8.self)
                let lines = header.split(separator: "\r\n")
                guard let lengthLine = lines.first(where: { $0.lowercased().hasPrefix("content-length:") }),
                      let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) else {
                    throw NSError(domain: "LSPClient", code: 1,
                        userInfo: [NSLocalizedDescriptionKey: "bad header: \(header)"])
                }
                if buffer.count >= end + 4 + length {
                    let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                    buffer.removeFirst(end + 4 + length)
                    guard let m = JSON.parse(body) else {
                        throw NSError(domain: "LSPClient", code: 2,
                            userInfo: [NSLocalizedDescriptionKey: "not JSON: \(String(decoding: body, as: UTF8.self))"])
                    }
                    return m
                }
            }
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { throw NSError(domain: "LSPClient", code: 3,
                userInfo: [NSLocalizedDescriptionKey: "the server closed its output"]) }
            buffer += data
        }
    }

    func findHeaderEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13
            && buffer[i + 3] == 10 { return i }
        return nil
    }

    /// Ends the session as an editor does; returns the server's exit status.
    func shutdown() throws -> Int32 {
        _ = try request("shutdown")
        try notify("exit", .null)
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// `kfpolicy lsp` driven by a scripted client: diagnostics as the text changes, hover,
/// definition across includes, formatting and completion.
final class LSPTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = makeTempDir("lsp")
        try FileManager.default.createDirectory(atPath: dir + "/common", withIntermediateDirectories: true)
        for (from, to) in [("Policies/examples/include.policy", "main.policy"),
            ("Policies/examples/common/shared.policy", "common/shared.policy")] {
            try FileManager.default.copyItem(atPath: packageRoot + "/" + from, toPath: dir + "/" + to)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func uri(_ rel: String) -> String { "file://" + dir + "/" + rel }
    func text(_ rel: String) throws -> String { try String(contentsOfFile: dir + "/" + rel, encoding: .utf8) }
    func position(_ text: String, of needle: String, plus: Int = 0) -> JSON {
        let before = text.components(separatedBy: needle)[0]
        let lines = before.split(separator: "\n", omittingEmptySubsequences: false)
        return ["line": .int(lines.count - 1), "character": .int(lines.last!.utf16.count + plus)]
    }
    func at(_ rel: String, _ p: JSON) -> JSON { ["textDocument": ["uri": .string(uri(rel))], "position": p] }

    func start() throws -> LSPClient {
        let client = try LSPClient(cwd: dir)
        let r = try client.request("initialize", ["processId": .null, "rootUri": .string("file://" + dir),
            "capabilities": [:]])
        let caps = r["result"]["capabilities"]
        XCTAssertEqual(caps["hoverProvider"], true)
        XCTAssertEqual(caps["definitionProvider"], true)
        XCTAssertEqual(caps["documentFormattingProvider"], true)
        XCTAssertEqual(caps["textDocumentSync"]["change"], 1)
        XCTAssertFalse(caps["completionProvider"].isNull)
        try client.notify("initialized", [:])
        return client
    }

    func open(_ client: LSPClient, _ rel: String, _ text: String, version: Int = 1) throws {
        try client.notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri(rel)), "languageId": "kfpolicy",
                                                                 "version": .int(version), "text": .string(text)]])
    }

    func testDiagnosticsAsYouTypeHoverDefinitionFormattingAndCompletion() throws {
        let client = try start()
        let good = try text("main.policy")
        // A broken policy: an unknown context (with a hint) and a duplicate callback (with a
        // note at the first declaration).
        let broken = good.replacingOccurrences(of: "callback poll: rx_locked;",
            with: "callback poll: rx_lockd;\ncallback xmit: tx_locked;")
        try open(client, "main.policy", broken)
        let ds = try client.diagnostics(for: uri("main.policy"))
        XCTAssertEqual(ds.map { $0["code"].string }, ["KFP201", "KFP202"], "\(ds)")
        let unknown = ds[0]
        XCTAssertEqual(unknown["severity"], 1)
        XCTAssertEqual(unknown["source"], "kfpolicy")
        XCTAssertEqual(unknown["range"]["start"], position(broken, of: "rx_lockd"))
        XCTAssertEqual(unknown["range"]["end"], position(broken, of: "rx_lockd", plus: 8))
        XCTAssertTrue(unknown["message"].string!.contains("did you mean 'rx_locked'?"), "\(unknown)")
        let related = ds[1]["relatedInformation"].array ?? []
        XCTAssertEqual(related.count, 1, "\(ds[1])")
        XCTAssertEqual(related.first?["location"]["uri"].string, uri("main.policy"))
        XCTAssertEqual(related.first?["location"]["range"]["start"], position(broken, of: "xmit"))

        // As you type: the fix clears them.
        try client.notify("textDocument/didChange", ["textDocument": ["uri": .string(uri("main.policy")), "version": 2],
                                                 "contentChanges": [["text": .string(good)]]])
        XCTAssertEqual(try client.diagnostics(for: uri("main.policy")).count, 0)

        // Hover on a kfunc: its sets, flags, contexts, doc and where the matrix allows it.
        let hover = try client.request("textDocument/hover", at("main.policy", position(good,
            of: "kfunc demo_dev_alloc_state", plus: 8)))
        let md = hover["result"]["contents"]["value"].string ?? ""
        XCTAssertEqual(hover["result"]["contents"]["kind"], "markdown")
        for needle in ["**kfunc** `demo_dev_alloc_state`", "Set up the device's BPF-owned state; may sleep.",
            "KF_SLEEPABLE",
                       "contexts (allow): unlocked", "requires: sleepable", "`demo_include_kfunc_ids` (struct_ops)",
                       "Allowed in: **unlocked**: ops.open, ops.stop", "Denied in 3 callbacks"] {
            XCTAssertTrue(md.contains(needle), "\(needle) not in:\n\(md)")
        }
        // On a callback: its contexts and the kfuncs it may call.
        let cb = try client.request("textDocument/hover", at("main.policy", position(good, of: "xmit: tx_locked",
            plus: 1)))
        let cbText = cb["result"]["contents"]["value"].string ?? ""
        XCTAssertTrue(cbText.contains("**callback** `ops.xmit`: runs in tx_locked"), cbText)
        XCTAssertTrue(cbText.contains("May call 2 kfuncs"), cbText)

        // Definition across the include: the group declared in common/shared.policy.
        let def = try client.request("textDocument/definition", at("main.policy", position(good,
            of: "queue_locked | resetting", plus: 3)))
        XCTAssertEqual(def["result"]["uri"].string, uri("common/shared.policy"), "\(def)")
        XCTAssertEqual(def["result"]["range"]["start"], position(try text("common/shared.policy"),
            of: "queue_locked ="))
        // On the include's path: the included file.
        let inc = try client.request("textDocument/definition", at("main.policy", position(good,
            of: "common/shared.policy\"", plus: 2)))
        XCTAssertEqual(inc["result"]["uri"].string, uri("common/shared.policy"), "\(inc)")

        // Formatting: the formatter's output as one edit of the whole document.
        let messy = good.replacingOccurrences(of: "callback xmit: tx_locked;", with: "callback   xmit :tx_locked ;")
        try client.notify("textDocument/didChange", ["textDocument": ["uri": .string(uri("main.policy")), "version": 3],
                                                 "contentChanges": [["text": .string(messy)]]])
        let edits = try client.request("textDocument/formatting", ["textDocument": ["uri": .string(uri("main.policy"))],
                                                                   "options": ["tabSize": 4,
                                                                       "insertSpaces": true]])["result"].array ?? []
        XCTAssertEqual(edits.count, 1)
        XCTAssertEqual(edits.first?["newText"].string, good)
        XCTAssertEqual(edits.first?["range"]["start"], ["line": 0, "character": 0])
        XCTAssertEqual(edits.first?["range"]["end"], position(messy + "\u{0}", of: "\u{0}"))

        // Completion: names of the right kind where the grammar wants them.
        func labels(_ text: String, at needle: String) throws -> Set<String> {
            try client.notify("textDocument/didChange", ["textDocument": ["uri": .string(uri("main.policy")),
                "version": 4],
                                                     "contentChanges": [["text": .string(text)]]])
            let r = try client.request("textDocument/completion", at("main.policy", position(text, of: needle)))
            return Set((r["result"]["items"].array ?? []).compactMap { $0["label"].string })
        }
        let inBody = good.replacingOccurrences(of: "    allow queue_locked;\n}",
            with: "    allow queue_locked;\n    invokes \u{1};\n}")
        XCTAssertEqual(try labels(inBody.replacingOccurrences(of: "\u{1}", with: ""), at: ";\n}\n\n/// Set up"),
                       ["child", "open", "stop", "xmit", "poll", "reset"])
        let allow = good.replacingOccurrences(of: "allow queue_locked;\n}", with: "allow tx_locked | re;\n}")
        XCTAssertEqual(try labels(allow, at: ";\n}\n\n/// Set up"),
                       ["unlocked", "tx_locked", "rx_locked", "resetting", "queue_locked", "any", "none"])
        let sets = good.replacingOccurrences(of: "in demo_include_kfunc_ids;\n    allow queue_locked;",
            with: "in demo_;\n    allow queue_locked;")
        XCTAssertEqual(try labels(sets, at: ";\n    allow queue_locked;"), ["demo_common_kfunc_ids",
            "demo_include_kfunc_ids"])
        let keyword = good.replacingOccurrences(of: "    allow queue_locked;\n}",
            with: "    allow queue_locked;\n    re\n}")
        XCTAssertEqual(try labels(keyword, at: "\n}\n\n/// Set up"), Set(["in", "flags", "allow", "requires",
            "invokes", "impl", "was"]))
        let impl = good.replacingOccurrences(of: "    allow queue_locked;\n}",
            with: "    allow queue_locked;\n    impl xmit = \n}")
        XCTAssertTrue(try labels(impl, at: "\n}\n\n/// Set up").isSuperset(of: ["demo_dev_stats_add",
            "demo_dev_alloc_state"]))
        // At the top level, after a complete declaration: the declaration keywords.
        XCTAssertEqual(try labels(good + "ne\u{0}", at: "\u{0}"),
                       ["policy", "prefix", "kernel", "module", "nesting", "runtime_guards", "deny", "include", "form",
                        "context", "group", "callback", "requirement", "external", "set", "kfunc", "nest", "if"])
        // Inside `if CONFIG_FOO { ... }` declarations go on, not kfunc statements.
        XCTAssertTrue(try labels(good + "if CONFIG_X {\n    ca\u{0}\n}\n", at: "\u{0}").contains("callback"))
        XCTAssertEqual(try labels(good + "nesting \u{0}", at: "\u{0}"), ["dag", "per_instance"])

        XCTAssertEqual(try client.shutdown(), 0)
    }

    /// Includes are read from the editor's buffers; an included file opened alone is checked
    /// as part of the open policy that includes it.
    func testUnsavedIncludeAndIncludedFileDiagnostics() throws {
        let client = try start()
        let main = try text("main.policy")
        try open(client, "main.policy", main)
        XCTAssertEqual(try client.diagnostics(for: uri("main.policy")).count, 0)
        // The included file, edited but not saved: `queue_locked` now names an unknown context.
        let shared = try text("common/shared.policy").replacingOccurrences(of: "tx_locked | rx_locked;",
            with: "tx_locked | rx_lock;")
        try open(client, "common/shared.policy", shared)
        var found: [String: [JSON]] = [:]
        while found.count < 2 {
            let m = try client.receive()
            if let u = m["params"]["uri"].string { found[u] = m["params"]["diagnostics"].array }
        }
        XCTAssertEqual(found[uri("common/shared.policy")]?.map { $0["code"].string }, ["KFP201"], "\(found)")
        XCTAssertEqual(found[uri("main.policy")]?.count, 0, "\(found)")
        XCTAssertEqual(try client.shutdown(), 0)
    }

    /// Hover on the declarations of real kernels' policies: `kernel`, `if CONFIG_...`, `was`.
    func testHoverOnKernelConfigAndEarlierNames() throws {
        let client = try start()
        let text = "policy n for struct s;\nkernel 6.12;\ncontext a;\ncallback run: a;\nset ids: struct_ops;\n"
            + "if CONFIG_FOO {\n"
            + "    kfunc k_new {\n        in ids;\n        allow a;\n        was k_old;\n    }\n}\n"
        try open(client, "n.policy", text)
        XCTAssertEqual(try client.diagnostics(for: uri("n.policy")).count, 0)
        func hover(_ needle: String) throws -> String {
            try client.request("textDocument/hover", at("n.policy", position(text, of: needle,
                plus: 1)))["result"]["contents"]["value"].string ?? ""
        }
        for (needle, expected) in [("6.12", "**kernel 6.12**: the kernel the generated C is for"), ("CONFIG_FOO",
            "Kfuncs: `k_new`"),
                                   ("k_old", "earlier name of kfunc `k_new`"), ("k_new", "- exists with: CONFIG_FOO")] {
            let text = try hover(needle)
            XCTAssertTrue(text.contains(expected), "\(needle): \(text)")
        }
        XCTAssertEqual(try client.shutdown(), 0)
    }

    func testProtocolErrors() throws {
        let client = try LSPClient(cwd: dir)
        XCTAssertEqual(try client.request("textDocument/hover", [:])["error"]["code"], -32002)
        let r = try client.request("initialize", ["capabilities": ["general": ["positionEncodings": ["utf-8",
            "utf-16"]]]])
        XCTAssertEqual(r["result"]["capabilities"]["positionEncoding"], "utf-8")
        // Columns count bytes now: 'ü' before the unknown name is two.
        try open(client, "u.policy", "policy u for struct s;\ncontext a; /* ü */ callback c: b;\n")
        let d = try client.diagnostics(for: uri("u.policy"))
        XCTAssertEqual(d.first { $0["code"] == "KFP201" }?["range"]["start"], ["line": 1, "character": 32], "\(d)")
        XCTAssertEqual(try client.request("workspace/symbol", ["query": ""])["error"]["code"], -32601)
        XCTAssertEqual(try client.request("textDocument/hover", at("nothing.policy", ["line": 0,
            "character": 0]))["error"]["code"], -32602)
        // exit without shutdown: status 1.
        try client.notify("exit", .null)
        client.process.waitUntilExit()
        XCTAssertEqual(client.process.terminationStatus, 1)
    }
}
