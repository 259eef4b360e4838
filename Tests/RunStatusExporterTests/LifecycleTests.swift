import ChildProcesses
import Foundation
import Glibc
import HTTPServer
import TestSupport
import Testing
import VendorSimulator
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// The built binary, spawned for real: signals, reload by SIGHUP and POST, healthcheck, web config, file
/// descriptor exhaustion. Each test has its own ports and files, and kills what it started whatever happens.
@Suite(.requires(.exporter),
       .timeLimit(.minutes(2)))
struct LifecycleTests {
    /// A started exporter child and the means to talk to it.
    struct Exporter {
        let child: SpawnedProcess
        let port: UInt16

        static func start(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:],
                          shell prefix: String? = nil, name: String = "exporter") async throws -> Exporter {
            // Port 0: the exporter picks a free one and logs it, so parallel tests never race for a port.
            let all = arguments + ["--web.listen-address=127.0.0.1:0"]
            let child: SpawnedProcess
            if let prefix {
                // For limits only a shell sets before exec (ulimit).
                let command = prefix + "; exec " + ([Program.exporter.path!] + all).map { "'\($0)'" }.joined(separator: " ")
                child = try SpawnedProcess("/bin/sh", ["-c", command], name: name, logDirectory: directory.url, environment: environment)
            } else {
                child = try SpawnedProcess(Program.exporter.path!, all, name: name, logDirectory: directory.url, environment: environment)
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let line = child.output.split(separator: "\n").first(where: { $0.contains("msg=listening") }),
                   let range = line.range(of: "address=127.0.0.1:"),
                   let port = UInt16(line[range.upperBound...].prefix { $0.isNumber }) {
                    return Exporter(child: child, port: port)
                }
                if let code = child.exitStatus { throw TestFailure("exporter exited with \(code):\n\(child.output)") }
                try await Task.sleep(for: .milliseconds(20))
            }
            Glibc.kill(child.pid, SIGKILL)
            throw TestFailure("exporter never logged its address:\n\(child.output)")
        }

        /// Waits until `path` answers `status` (bounded); fails with the child's log when it exits or never does.
        func waitFor(_ path: String = "/-/ready", status: Int = 200, headers: [(String, String)] = []) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let code = child.exitStatus { throw TestFailure("exporter exited with \(code):\n\(child.output)") }
                if let response = try? await get(path, headers: headers), response.status == status { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw TestFailure("\(path) never answered \(status):\n\(child.output)")
        }

        func get(_ path: String, method: String = "GET", headers: [(String, String)] = []) async throws -> TestResponse {
            try await TestClient.request(port: port, path, method: method, headers: headers)
        }

        func metrics() async throws -> [String: Double] {
            let response = try await get("/metrics")
            guard response.status == 200 else { throw TestFailure("/metrics answered \(response.status)") }
            return parseExposition(response.text)
        }

        /// Polls /metrics until `condition` holds (bounded).
        func eventually(_ what: String, _ condition: ([String: Double]) -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if condition(try await metrics()) { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw TestFailure("never saw: \(what)\n\(child.output.suffix(3000))")
        }
    }

    /// Runs `body`, then kills the children and removes the directory, whatever happened.
    static func withScratch(_ body: (TemporaryDirectory) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        do {
            try await body(directory)
        } catch {
            directory.remove()
            throw error
        }
        directory.remove()
    }

    static let t0 = EndToEndTests.t0

    /// The end-to-end scenario's simulator on a loopback port, its clock fixed after every run has moved.
    static func startSimulator() throws -> HTTPServer {
        try VendorSimulator(scenario: EndToEndTests.scenario(), now: { t0 + 1000 }).serve()
    }

    static func config(simulator port: UInt16, rsaRuns: [String], withNexio: Bool, broken: Bool = false) -> String {
        let base = "http://127.0.0.1:\(port)"
        var targets = [
            """
            {"name": "rsa", "vendor": "rsa", "url": "\(base)", "auth": {"type": "bearer", "credentials": "rsa-secret-1"},
             "runs": [\(rsaRuns.map { "\"\($0)\"" }.joined(separator: ", "))]}
            """,
        ]
        if withNexio {
            targets.append("""
            {"name": "nexio", "vendor": "nexio", "url": "\(base)", "auth": {"type": "bearer", "credentials": "nx_test_secret5"},
             "runs": ["990d0fae-dc17-43af-aaed-ff8b580c17ab"]}
            """)
        }
        return """
        {"poll_interval": "\(broken ? "soon" : "1s")", "terminal_poll_interval": "1s", "timeout": "5s",
         "targets": [\(targets.joined(separator: ",\n"))]}
        """
    }

    @Test func reloadBySIGHUPAndPOSTKeepsCountersDropsRemovedRunsAndSurvivesBadConfigs() async throws {
        let simulator = try Self.startSimulator()
        defer { simulator.stop() }
        try await Self.withScratch { directory in
            let file = directory.file("config.json")
            try directory.write("config.json", Self.config(simulator: simulator.port, rsaRuns: ["1001", "1002"], withNexio: true))
            let exporter = try await Exporter.start(["--config.file=\(file)"], in: directory)
            defer { Task { await exporter.child.kill() } }
            try await exporter.waitFor()

            let rsa = "vendor=\"rsa\",target=\"rsa\""
            let run1002 = "runstatus_run_state{\(rsa),run_id=\"1002\",state=\"failed\"}"
            let nexioUp = "runstatus_up{vendor=\"nexio\",target=\"nexio\"}"
            // Terminal runs are polled every second: the counter climbs.
            try await exporter.eventually("rsa polled twice") { ($0["runstatus_polls_total{\(rsa)}"] ?? 0) >= 4 }
            var m = try await exporter.metrics()
            #expect(m[run1002] == 1 && m[nexioUp] == 1)
            #expect(m["runstatus_config_last_reload_successful"] == 1)
            let firstLoad = try #require(m["runstatus_config_last_reload_success_timestamp_seconds"])
            let pollsBefore = try #require(m["runstatus_polls_total{\(rsa)}"])

            // SIGHUP with run 1002 and the nexio target removed.
            try directory.write("config.json", Self.config(simulator: simulator.port, rsaRuns: ["1001"], withNexio: false))
            try await Task.sleep(for: .milliseconds(1100))  // so the reload's timestamp is visibly later
            exporter.child.signal(SIGHUP)
            try await exporter.eventually("1002 and nexio gone") { $0[run1002] == nil && $0[nexioUp] == nil }
            m = try await exporter.metrics()
            #expect(m["runstatus_config_last_reload_successful"] == 1)
            #expect((m["runstatus_config_last_reload_success_timestamp_seconds"] ?? 0) > firstLoad)
            // Kept runs keep their counters: not reset by the reload.
            #expect((m["runstatus_polls_total{\(rsa)}"] ?? 0) >= pollsBefore)
            #expect(m["runstatus_run_state{\(rsa),run_id=\"1001\",state=\"succeeded\"}"] == 1)

            // An invalid config by POST: refused with the reason, the old one stays, the gauge goes 0.
            try directory.write("config.json", Self.config(simulator: simulator.port, rsaRuns: ["1001", "1002"],
                                                           withNexio: true, broken: true))
            let refused = try await exporter.get("/-/reload", method: "POST")
            #expect(refused.status == 500)
            #expect(refused.text.contains("poll_interval"), "\(refused.text)")
            m = try await exporter.metrics()
            #expect(m["runstatus_config_last_reload_successful"] == 0)
            #expect(m[run1002] == nil && m["runstatus_run_state{\(rsa),run_id=\"1001\",state=\"succeeded\"}"] == 1)
            let pollsKept = try #require(m["runstatus_polls_total{\(rsa)}"])
            try await exporter.eventually("polling goes on under the old config") {
                ($0["runstatus_polls_total{\(rsa)}"] ?? 0) > pollsKept
            }
            // And by SIGHUP: logged, still 0.
            exporter.child.signal(SIGHUP)
            let deadline = ContinuousClock.now + .seconds(20)
            while exporter.child.output.components(separatedBy: "configuration reload failed").count < 3,
                  ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let failures = exporter.child.output.split(separator: "\n").filter { $0.contains("configuration reload failed; keeping the previous one") }
            #expect(failures.count == 2, "\(exporter.child.output.suffix(2000))")
            #expect(failures.allSatisfy { $0.contains("poll_interval") })
            #expect((try await exporter.metrics())["runstatus_config_last_reload_successful"] == 0)

            // Fixed: POST reloads, 1002 and nexio come back.
            try directory.write("config.json", Self.config(simulator: simulator.port, rsaRuns: ["1001", "1002"], withNexio: true))
            let accepted = try await exporter.get("/-/reload", method: "POST")
            #expect(accepted.status == 200)
            try await exporter.eventually("1002 and nexio back") { $0[run1002] == 1 && $0[nexioUp] == 1 }
            #expect((try await exporter.metrics())["runstatus_config_last_reload_successful"] == 1)
            #expect(try await exporter.get("/-/reload").status == 405)

            exporter.child.signal(SIGTERM)
            #expect(await exporter.child.waitForExit(timeout: .seconds(5)) == 0, "\(exporter.child.output.suffix(2000))")
        }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func stopsOnSignalWithinFiveSecondsFinishingResponsesInFlight(signal: Int32) async throws {
        try await Self.withScratch { directory in
            let exporter = try await Exporter.start(["--demo"], in: directory)
            defer { Task { await exporter.child.kill() } }
            try await exporter.waitFor()
            // A request in flight when the signal lands: its response still arrives whole.
            async let inFlight = exporter.get("/metrics")
            try await Task.sleep(for: .milliseconds(20))
            exporter.child.signal(signal)
            let started = ContinuousClock.now
            let status = await exporter.child.waitForExit(timeout: .seconds(10))
            #expect(status == 0, "\(exporter.child.output.suffix(2000))")
            #expect(ContinuousClock.now - started < .seconds(5))
            if let response = try? await inFlight {
                #expect(response.status == 200)
                #expect(response.header("Content-Length") == String(response.body.count))
                #expect(response.text.contains("runstatus_build_info"))
            }
            #expect(exporter.child.output.contains("msg=\"shutting down\""))
            #expect(exporter.child.output.contains("msg=stopped"))
        }
    }

    @Test func healthcheckSubcommandExitsZeroOnlyWhenTheListenerAnswers() async throws {
        try await Self.withScratch { directory in
            let exporter = try await Exporter.start(["--demo"], in: directory)
            defer { Task { await exporter.child.kill() } }
            try await exporter.waitFor("/-/healthy")
            let healthy = try await SpawnedProcess.run(Program.exporter.path!, ["healthcheck", "--web.listen-address=127.0.0.1:\(exporter.port)"])
            #expect(healthy.status == 0, "\(healthy.output)")
            let wildcard = try await SpawnedProcess.run(Program.exporter.path!, ["healthcheck", "--web.listen-address=:\(exporter.port)"])
            #expect(wildcard.status == 0, "\(wildcard.output)")
            let nobody = try LoopbackPort.free()
            let down = try await SpawnedProcess.run(Program.exporter.path!, ["healthcheck", "--web.listen-address=127.0.0.1:\(nobody)"])
            #expect(down.status == 1)
            #expect(down.output.contains("healthcheck:"))
        }
    }

    @Test func basicAuthOnTheRealListenerAndHealthcheckBehindIt() async throws {
        try await Self.withScratch { directory in
            try directory.write("web.json", """
            {"basic_auth_users": {"prometheus": "\(ConfigExamples.aliceHash)"},
             "http_server_config": {"headers": {"X-Content-Type-Options": "nosniff"}}}
            """)
            let exporter = try await Exporter.start(["--demo", "--web.config.file=\(directory.file("web.json"))"], in: directory)
            defer { Task { await exporter.child.kill() } }
            try await exporter.waitFor("/-/healthy", status: 401)
            let denied = try await exporter.get("/metrics")
            #expect(denied.status == 401)
            #expect(denied.header("WWW-Authenticate")?.hasPrefix("Basic realm=") == true)
            #expect(denied.header("X-Content-Type-Options") == "nosniff")
            #expect(try await exporter.get("/metrics", headers: [("Authorization", ConfigExamples.basic("prometheus", "nope"))]).status == 401)
            let allowed = try await exporter.get("/metrics", headers: [("Authorization", ConfigExamples.basic("prometheus", "correct horse"))])
            #expect(allowed.status == 200 && allowed.text.contains("runstatus_build_info"))
            #expect(allowed.header("X-Content-Type-Options") == "nosniff")
            // The Dockerfile's HEALTHCHECK has no password: the listener's 401 challenge counts as alive.
            let probe = try await SpawnedProcess.run(Program.exporter.path!, ["healthcheck", "--web.listen-address=127.0.0.1:\(exporter.port)"])
            #expect(probe.status == 0, "\(probe.output)")
            #expect(!exporter.child.output.contains("correct horse"))
        }
    }

    @Test func anInvalidWebConfigExitsTwoNamingFilePathAndProblem() async throws {
        try await Self.withScratch { directory in
            try directory.write("web.json", #"{"basic_auth_users": {"admin": "hunter2"}, "tls_server_config": {"cert_file": "x.pem", "key_file": "x.key", "client_ca": "x"}}"#)
            let file = directory.file("web.json")
            let result = try await SpawnedProcess.run(Program.exporter.path!, ["--demo", "--web.config.file=\(file)"])
            #expect(result.status == 2)
            #expect(result.output.contains("\(file): basic_auth_users[\"admin\"]: is not a bcrypt hash"), "\(result.output)")
            #expect(result.output.contains("\(file): tls_server_config.client_ca: unknown key"), "\(result.output)")
            #expect(!result.output.contains("hunter2"))
            let missing = try await SpawnedProcess.run(Program.exporter.path!, ["--demo", "--web.config.file=\(directory.file("none.json"))"])
            #expect(missing.status == 2 && missing.output.contains("cannot read the file"))
        }
    }

    /// With 64 descriptors, a flood of connections runs into EMFILE or the cap fitted to the limit: either way the
    /// exporter answers what it can, refuses the rest quickly, and serves again once the flood is gone.
    @Test func survivesRunningOutOfFileDescriptors() async throws {
        try await Self.withScratch { directory in
            let exporter = try await Exporter.start(["--demo", "--log.level=debug"], in: directory, shell: "ulimit -n 64")
            defer { Task { await exporter.child.kill() } }
            try await exporter.waitFor()
            let flood = try await onThreadOpenConnections(port: exporter.port, count: 120)
            // Everyone heard something or was closed: nobody hangs. A 503 is the refusal; a close without an
            // answer happens to connections shed while out of descriptors or evicted at the cap.
            #expect(flood.answered503 + flood.closed > 0, "\(flood)")
            #expect(exporter.child.exitStatus == nil, "\(exporter.child.output.suffix(2000))")
            // Served again once the flood has gone (the server notices the closed sockets on its own time).
            try await exporter.waitFor("/metrics")
            let log = exporter.child.output
            #expect(log.contains("connection cap") || log.contains("pausing accept"), "\(log.suffix(2000))")
            exporter.child.signal(SIGTERM)
            #expect(await exporter.child.waitForExit(timeout: .seconds(5)) == 0)
        }
    }

    struct FloodOutcome: Sendable, CustomStringConvertible {
        var answered503 = 0, closed = 0, silent = 0
        var description: String { "503: \(answered503), closed: \(closed), still open and silent: \(silent)" }
    }

    /// Opens `count` connections that send only part of a head, then looks at what each received within 3 s.
    func onThreadOpenConnections(port: UInt16, count: Int) async throws -> FloodOutcome {
        await onThread {
            var clients: [TestClient] = []
            defer { clients.forEach { $0.close() } }
            for _ in 0..<count {
                guard let client = try? TestClient.connectNow(port: port) else { continue }
                try? client.sendNow(Array("GET /metrics HTTP/1.1\r\n".utf8))
                clients.append(client)
            }
            let fds = clients.map(\.fd)
            var outcome = FloodOutcome()
            let deadline = Date().addingTimeInterval(3)
            var pending = fds
            while !pending.isEmpty, Date() < deadline {
                var still: [Int32] = []
                for fd in pending {
                    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&descriptor, 1, 0) > 0 else { still.append(fd); continue }
                    var buffer = [UInt8](repeating: 0, count: 512)
                    let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                    if n > 0, String(decoding: buffer[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 503") {
                        outcome.answered503 += 1
                    } else {
                        outcome.closed += 1
                    }
                }
                pending = still
                usleep(20_000)
            }
            outcome.silent = pending.count
            return outcome
        }
    }
}
