import ChildProcesses
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// Discovery against a real GA4GH WES server: the reference `wes-server` (`pip install wes-service cwltool`) running
/// cwltool without containers on a loopback port. It names its list `workflows`, ignores `page_size` and reports
/// empty times: what a real server does wins over what the spec says.
@Suite struct WESServerTests {
    static let tool = """
    cwlVersion: v1.0
    class: CommandLineTool
    baseCommand: [sh, -c]
    inputs:
      script:
        type: string
        inputBinding: {position: 1}
    outputs: []

    """

    @Test(.requires(.wesServer, .cwltool), .timeLimit(.minutes(2)))
    func discoveryFindsTheRunsOfARealWESServer() async throws {
        let directory = try TemporaryDirectory(prefix: "wes")
        defer { directory.remove() }
        let port = try LoopbackPort.free()
        // Its own process group, so the cwltool runs it starts are stopped with it.
        let server = try SpawnedProcess("/bin/sh", ["-c", "cd \"$0\" && exec \"$1\" --backend=wes_service.cwl_runner --opt runner=cwltool "
                                                    + "--opt extra=--no-container --port \(port)",
                                                    directory.url.path, Program.wesServer.path!],
                                        name: "wes-server", logDirectory: directory.url, newProcessGroup: true)
        try await server.whileRunning {
            let root = "http://127.0.0.1:\(port)/ga4gh/wes/v1"
            let up = await eventually(timeout: 60) { (try? await httpGet(root + "/service-info").0) == 200 }
            try #require(up, "wes-server never answered:\n\(server.logTail())")

            var ids: [String: String] = [:]
            for (name, script) in [("ok", "echo hello"), ("fails", "exit 3"), ("runs", "sleep 60")] {
                ids[name] = try await submit(root, script: script)
            }
            // cwltool takes a few seconds to start each run.
            let settled = await eventually(timeout: 60) {
                let ok = try? await httpGet(root + "/runs/\(ids["ok"]!)/status").2
                let fails = try? await httpGet(root + "/runs/\(ids["fails"]!)/status").2
                return ok?.contains("COMPLETE") == true && fails?.contains("EXECUTOR_ERROR") == true
            }
            try #require(settled, "the runs never finished:\n\(server.logTail())")

            let target = TargetConfig(name: "wes-server", vendor: .wes, url: root, runs: [], pollInterval: 1, timeout: 10,
                                      discover: DiscoveryConfig(pageSize: 2))
            let config = ExporterConfig(targets: [target])
            let store = MetricsStore(config: config)
            let logs = LogCapture()
            let poller = Poller(store: store, fetcher: CurlFetcher(), logger: logs.logger)
            poller.start(config)
            let routes = Routes(store: store, config: config)
            func metrics() -> [String: Double] { parseExposition(String(decoding: routes.render(format: .text).body, as: UTF8.self)) }
            func state(_ name: String, _ state: String) -> Double? {
                metrics()["runstatus_run_state{vendor=\"wes\",target=\"wes-server\",run_id=\"\(ids[name]!)\",state=\"\(state)\"}"]
            }
            let found = await eventually(timeout: 30) {
                state("ok", "succeeded") == 1 && state("fails", "failed") == 1 && state("runs", "running") == 1
            }
            await poller.stop()
            #expect(found, "discovery did not find the three runs:\n\(logs.all.suffix(20).joined(separator: "\n"))")
            let m = metrics()
            #expect(m["runstatus_discovered_runs{vendor=\"wes\",target=\"wes-server\"}"] == 3)
            #expect(m["runstatus_run_info{vendor=\"wes\",target=\"wes-server\",run_id=\"\(ids["fails"]!)\",vendor_state=\"EXECUTOR_ERROR\"}"] == 1)
            #expect(m["runstatus_up{vendor=\"wes\",target=\"wes-server\"}"] == 1)
            let errors = m.filter { $0.key.hasPrefix("runstatus_poll_errors_total") }.values.reduce(0, +)
            #expect(errors == 0, "\(logs.all.suffix(20).joined(separator: "\n"))")
            // It sends its times as empty strings: no start time, and no error for it.
            #expect(!m.keys.contains { $0.hasPrefix("runstatus_run_start_timestamp_seconds") })
        }
    }

    /// `POST /runs` as a multipart form with the tool attached; the new run's id.
    func submit(_ root: String, script: String) async throws -> String {
        let boundary = "runstatus-\(UUID().uuidString)"
        var body = ""
        func field(_ name: String, _ value: String, filename: String? = nil) {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
            if let filename { body += "; filename=\"\(filename)\"\r\nContent-Type: text/plain" }
            body += "\r\n\r\n\(value)\r\n"
        }
        field("workflow_url", "tool.cwl")
        field("workflow_params", #"{"script": "\#(script)"}"#)
        field("workflow_type", "CWL")
        field("workflow_type_version", "v1.0")
        field("workflow_attachment", Self.tool, filename: "tool.cwl")
        body += "--\(boundary)--\r\n"
        var request = URLRequest(url: URL(string: root + "/runs")!, timeoutInterval: 30)
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let id = try #require(object?["run_id"] as? String, "POST /runs answered \(status): \(String(decoding: data, as: UTF8.self))")
        return id
    }
}
