// The kfpolicy command line: argument handling, exit codes and rendering. No policy logic here.

import ArgumentParser
import KFPolicy
#if canImport(Glibc)
import Glibc
#endif

struct Kfpolicy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kfpolicy",
        abstract: "Compile policies that say which BPF kfuncs each struct_ops callback may call.",
        discussion: """
            Exit status: 0 success; 1 policy errors, unformatted or stale files, or a denied \
            kfunc (explain); 2 usage or I/O errors; 3 an internal error of kfpolicy.

            Wherever a command takes a policy (check, explain, gen, graph, matrix, diff, \
            lint --policy, validate --policy), it takes a path or a name: NAME is NAME.policy \
            and NAME@VERSION is NAME-VERSION.policy (scx@6.12 is scx-6.12.policy). An argument \
            is a path when such a file exists or it holds a '/' or ends in '.policy'. A name is \
            looked for in the directories of $KFPOLICY_POLICY_PATH (colon-separated, in order), \
            then in PREFIX/share/kfpolicy/policies for the PREFIX kfpolicy is installed in \
            (PREFIX/bin/kfpolicy), then, for a kfpolicy built in a checkout, in its Policies/.
            """,
        version: kfpolicyVersion,
        subcommands: [Check.self, Fmt.self, Explain.self, Gen.self, Validate.self, Import.self, Diff.self, Graph.self,
                      Matrix.self, Lint.self, LSP.self])
}

// Run, mapping every outcome to a documented exit status.
do {
    var command = try Kfpolicy.parseAsRoot()
    try command.run()
    exit(ExitStatus.success.rawValue)
} catch let e as ExitWith {
    exit(e.status.rawValue)
} catch {
    let code = Kfpolicy.exitCode(for: error)
    if code == .success {
        print(Kfpolicy.fullMessage(for: error))
        exit(0)
    }
    eprint(Kfpolicy.fullMessage(for: error) + "\n")
    exit(ExitStatus.usageOrIO.rawValue)
}
