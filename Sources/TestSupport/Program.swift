import ChildProcesses
import Foundation
import Testing

/// A program a test runs: one of ours that SwiftPM built, or a tool on PATH. A test that needs an absent one
/// carries `.requires(...)`, which skips it with a line naming the program and how to get it, so a missing tool
/// never passes silently.
public struct Program: Sendable {
    public let name: String
    /// Where it is; nil when it is absent.
    public let path: String?
    /// How to get it, for the skip line.
    public let hint: String

    public init(name: String, path: String?, hint: String) {
        self.name = name
        self.path = path
        self.hint = hint
    }

    /// Why a test that needs it cannot run.
    public var missing: String { "\(name) not found: \(hint)" }

    /// Its path, or a failure naming what is missing.
    public func require() throws(TestFailure) -> String {
        guard let path else { throw TestFailure(missing) }
        return path
    }

    // Ours, built by SwiftPM (each test target that runs one depends on its executable target).
    public static let exporter = built("runstatus-exporter", override: "RUNSTATUS_EXPORTER_BIN")
    public static let bench = built("runstatus-bench", override: "RUNSTATUS_BENCH_BIN")

    // On PATH; .ci/run installs all of them.
    public static let promtool = onPath("promtool", hint: "apt-get install prometheus")
    public static let prometheus = onPath("prometheus", hint: "apt-get install prometheus")
    public static let amtool = onPath("amtool", hint: "apt-get install prometheus-alertmanager")
    /// Debian names the server prometheus-alertmanager; upstream tarballs name it alertmanager.
    public static let alertmanager = onPath("prometheus-alertmanager", "alertmanager", hint: "apt-get install prometheus-alertmanager")
    public static let python3 = onPath("python3", hint: "apt-get install python3")
    public static let wesServer = onPath("wes-server", hint: "pip install wes-service cwltool")
    public static let cwltool = onPath("cwltool", hint: "pip install wes-service cwltool")
    /// Makes the TLS tests' certificates (`TestCertificates`) and is their `s_client`.
    public static let openssl = onPath("openssl", hint: "apt-get install openssl")
    public static let curl = onPath("curl", hint: "apt-get install curl")

    /// The first of `names` on PATH.
    public static func onPath(_ names: String..., hint: String) -> Program {
        Program(name: names[0], path: SearchPath.find(names), hint: "\(hint) (looked on PATH; .ci/run installs it)")
    }

    /// `override` from the environment if set, else `name` where SwiftPM put it: beside the test binary, or in
    /// .build/debug of this repository.
    public static func built(_ name: String, override: String) -> Program {
        let hint = "swift build, or set \(override)"
        if let path = ProcessInfo.processInfo.environment[override] { return Program(name: name, path: path, hint: hint) }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for directory in [testBinary, Bundle.main.bundleURL.deletingLastPathComponent(),
                          Repository.root.appending(path: ".build/debug")] {
            let path = directory.appending(path: name).path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: path) {
                return Program(name: name, path: path, hint: hint)
            }
        }
        return Program(name: name, path: nil, hint: "not beside \(testBinary.path) nor in .build/debug: \(hint)")
    }

    /// Whether python3 can `import` each of `modules`.
    public static func pythonCanImport(_ modules: [String]) async -> Bool {
        guard let python3 = python3.path else { return false }
        let result = try? await SpawnedProcess.run(python3, ["-c", modules.map { "import \($0)" }.joined(separator: "; ")],
                                                   timeout: .seconds(30))
        return result?.status == 0
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when every one of `programs` is there; skips it otherwise, the skip line saying which
    /// is missing and how to get it.
    public static func requires(_ programs: Program..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        let absent = programs.filter { $0.path == nil }
        return .enabled(if: absent.isEmpty, Comment(rawValue: absent.map(\.missing).joined(separator: "; ")),
                        sourceLocation: sourceLocation)
    }

    /// Runs the test only when python3 imports every one of `modules`; skips it otherwise, saying so.
    public static func requiresPython(importing modules: String..., hint: String,
                                      sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(Comment(rawValue: "python3 cannot import \(modules.joined(separator: ", ")): \(hint)"),
                 sourceLocation: sourceLocation) { await Program.pythonCanImport(modules) }
    }
}
