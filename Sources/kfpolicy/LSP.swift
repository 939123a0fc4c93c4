// kfpolicy lsp

import ArgumentParser
import KFPolicyLSP

/// `kfpolicy lsp`: the Language Server on standard input and output.
struct LSP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "Run the Language Server for .policy files on standard input and output.",
        discussion: """
            Speaks the Language Server Protocol (JSON-RPC with Content-Length framing) on \
            standard input and output, for an editor to start: diagnostics as you type (every \
            open policy is checked with its includes, unsaved buffers included), hover on a \
            kfunc, callback, context, group or set (what 'explain' and 'matrix' say about it), \
            go to definition (across includes), document formatting, and completion of \
            keywords and of context, group, set, callback and kfunc names. Messages go to \
            standard error. Exit status: 0 after the client's shutdown and exit, 1 when the \
            input ends or exit comes without shutdown.
            """)

    @Flag(help: "Use standard input and output (the only transport; accepted because editors pass it).")
    var stdio = false

    func run() throws {
        var server = LanguageServer(input: 0, output: 1)
        let status = server.run()
        if status != 0 { throw ExitWith(status: .policyError) }
    }
}
