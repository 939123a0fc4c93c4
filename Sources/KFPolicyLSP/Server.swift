// The language server: reads JSON-RPC messages, answers requests and publishes diagnostics.
// One thread, one message at a time: every request is answered from the state the messages
// before it made.

import KFPolicy
#if canImport(Glibc)
import Glibc
#endif

/// A Language Server Protocol server for .policy files over a pair of file descriptors.
public struct LanguageServer {
    var reader: MessageReader
    let writer: MessageWriter
    var workspace = Workspace()
    var initialized = false
    var shutdownRequested = false

    /// JSON-RPC and LSP error codes.
    enum ErrorCode: Int {
        case parseError = -32700, invalidRequest = -32600, methodNotFound = -32601, invalidParams = -32602
        case serverNotInitialized = -32002
    }

    public init(input: Int32, output: Int32) {
        reader = MessageReader(fd: input)
        writer = MessageWriter(fd: output)
    }

    /// Serves until `exit` or the end of input; returns the process's exit status: 0 after
    /// `shutdown` then `exit`, 1 otherwise (as the protocol asks).
    public mutating func run() -> Int32 {
        while true {
            let body: [UInt8]
            do { body = try reader.next() } catch {
                if error != .endOfInput { log("\(error)") }
                return shutdownRequested ? 0 : 1
            }
            guard let message = JSON.parse(body), case .object = message else {
                reply(.null, error: .parseError, "the message is not a JSON object")
                continue
            }
            if let status = handle(message) { return status }
        }
    }

    /// Handles one message; returns an exit status when the server should stop.
    mutating func handle(_ m: JSON) -> Int32? {
        guard let method = m["method"].string else { return nil } // a response to us: we send no requests
        let id = m["id"], params = m["params"]
        let isRequest = !id.isNull
        if method == "exit" { return shutdownRequested ? 0 : 1 }
        if !initialized && method != "initialize" {
            if isRequest { reply(id, error: .serverNotInitialized, "initialize first") }
            return nil
        }
        if shutdownRequested && isRequest {
            reply(id, error: .invalidRequest, "the server is shutting down")
            return nil
        }
        switch method {
        case "initialize": reply(id, initialize(params))
        case "shutdown":
            shutdownRequested = true
            reply(id, .null)
        case "textDocument/didOpen":
            let d = params["textDocument"]
            if let uri = d["uri"].string, let text = d["text"].string {
                workspace.open(uri: uri, text: Array(text.utf8), version: d["version"].int ?? 0)
                publish()
            }
        case "textDocument/didChange":
            // Full synchronisation: the last change holds the whole text.
            if let uri = params["textDocument"]["uri"].string,
               let text = params["contentChanges"].array?.last?["text"].string {
                workspace.change(uri: uri, text: Array(text.utf8), version: params["textDocument"]["version"].int ?? 0)
                publish()
            }
        case "textDocument/didClose":
            if let uri = params["textDocument"]["uri"].string {
                workspace.close(uri: uri)
                publish()
            }
        case "textDocument/didSave", "workspace/didChangeWatchedFiles":
            publish() // an include on disk may have changed
        case "textDocument/hover": answer(id, params) { s, uri, offset in s.hover(uri, offset) }
        case "textDocument/definition": answer(id, params) { s, uri, offset in s.definition(uri, offset) }
        case "textDocument/completion": answer(id, params) { s, uri, offset in s.completion(uri, offset) }
        case "textDocument/formatting": answer(id, params) { s, uri, _ in s.formatting(uri) }
        default:
            if isRequest { reply(id, error: .methodNotFound, "kfpolicy lsp does not implement \(method)") }
        }
        return nil
    }

    mutating func initialize(_ params: JSON) -> JSON {
        initialized = true
        let offered = params["capabilities"]["general"]["positionEncodings"].array?.compactMap(\.string) ?? []
        workspace.encoding = offered.contains("utf-8") ? .utf8 : .utf16
        return [
            "capabilities": [
                "positionEncoding": .string(workspace.encoding.rawValue),
                "textDocumentSync": ["openClose": true, "change": 1, "save": true],
                "hoverProvider": true,
                "definitionProvider": true,
                "documentFormattingProvider": true,
                "completionProvider": ["triggerCharacters": ["|", ",", "(", "~", "&"]],
            ],
            "serverInfo": ["name": "kfpolicy", "version": .string(kfpolicyVersion)],
        ]
    }

    /// Answers a request about a position (or a whole document) of an open document.
    func answer(_ id: JSON, _ params: JSON, _ body: (LanguageServer, String, Int) -> JSON) {
        guard let uri = params["textDocument"]["uri"].string, let index = workspace.lineIndex(uri) else {
            return reply(id, error: .invalidParams, "not an open document")
        }
        reply(id, body(self, uri, index.offset(params["position"])))
    }

    mutating func publish() {
        for p in workspace.analyze() { notify("textDocument/publishDiagnostics", p) }
    }

    // MARK: - Requests

    func hover(_ uri: String, _ offset: Int) -> JSON {
        guard let occurrence = workspace.symbols[uri]?.occurrence(at: offset), let c = workspace.compilations[uri],
              let index = workspace.lineIndex(uri),
              let text = HoverText.markdown(occurrence.name, occurrence.kind, c.policy,
                                            path: c.sources.files.first?.path ?? "POLICY")
        else { return .null }
        return ["contents": ["kind": "markdown", "value": .string(text)],
                "range": index.range(occurrence.start, occurrence.end)]
    }

    func definition(_ uri: String, _ offset: Int) -> JSON {
        guard let doc = workspace.documents[uri], let symbols = workspace.symbols[uri] else { return .null }
        if let include = symbols.include(at: offset) {
            let dir = doc.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            let target = include.hasPrefix("/") || dir.isEmpty ? normalized(include) : normalized(dir + "/" + include)
            let start: JSON = ["line": 0, "character": 0]
            return ["uri": .string(workspace.uri(of: target)), "range": ["start": start, "end": start]]
        }
        guard let occurrence = symbols.occurrence(at: offset), let c = workspace.compilations[uri],
              let decl = c.policy.declaration(of: occurrence.name, as: occurrence.kind) else { return .null }
        return workspace.location(decl.range, in: c) ?? .null
    }

    func completion(_ uri: String, _ offset: Int) -> JSON {
        guard let doc = workspace.documents[uri] else { return .null }
        return Completion.items(text: doc.text, offset: offset, policy: workspace.compilations[uri]?.policy,
                                symbols: workspace.symbols[uri])
    }

    /// The formatter's output as one edit of the whole document; none when it is formatted, and
    /// null (nothing to do) when it has syntax errors.
    func formatting(_ uri: String) -> JSON {
        guard let doc = workspace.documents[uri], let index = workspace.lineIndex(uri) else { return .null }
        let (tree, bag) = Parser.parse(SourceFile(path: doc.path, bytes: doc.text), file: 0)
        if bag.hasErrors { return .null }
        let formatted = Formatter.format(tree)
        if Array(formatted.utf8) == doc.text { return [] }
        return [["range": index.whole, "newText": .string(formatted)]]
    }

    // MARK: - Output

    func reply(_ id: JSON, _ result: JSON) {
        writer.send(["jsonrpc": "2.0", "id": id, "result": result])
    }

    func reply(_ id: JSON, error code: ErrorCode, _ message: String) {
        writer.send(["jsonrpc": "2.0", "id": id, "error": ["code": .int(code.rawValue), "message": .string(message)]])
    }

    func notify(_ method: String, _ params: JSON) {
        writer.send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    /// A line for the client's log of the server (standard error).
    func log(_ s: String) {
        var bytes = Array("kfpolicy lsp: \(s)\n".utf8)
        bytes.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}
