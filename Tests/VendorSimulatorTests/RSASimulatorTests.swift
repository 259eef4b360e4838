import HTTPServer
import TestSupport
import Testing
import VendorSimulator

@Suite struct RSASimulatorTests {
    let clock = ManualClock(t0)
    let token = "rsa-secret"

    func make(_ runs: [SimulatedRun], offset: Int = 0) -> VendorSimulator {
        simulator(runs, credentials: ["rsa": token], clock: clock) { $0.rsaUTCOffsetSeconds = offset }
    }

    /// 1001 is created a minute before the scenario's start and starts at it, 10:00:00, like the documents' examples.
    let runs = [
        SimulatedRun(vendor: "rsa", id: "1001", startOffset: -60, script: [(0, "New"), (60, "Running"), (360, "Completed")]),
        SimulatedRun(vendor: "rsa", id: "1002", script: [(0, "Running"), (90, "Aborted")]),
    ]

    func query(_ id: String, json: Bool = true) -> String {
        "/aveksa/command.submit?cmd=getRunStatus\(json ? "&format=json" : "")&run-id=\(id)"
    }

    @Test func jsonBodiesMatchTheDocumentsExamples() {
        let sim = make(runs)
        clock.set(t0 - 30)
        // New has not started: no start-time yet.
        #expect(sim.get(query("1001"), bearer(token)).text == #"{"data":{"type":"getRunStatus","overall-status":"New"}}"#)
        clock.set(t0 + 10)
        let running = sim.get(query("1001"), bearer(token))
        #expect(running.status == 200)
        #expect(running.contentType == "application/json")
        #expect(running.text ==
            #"{"data":{"type":"getRunStatus","overall-status":"Running","start-time":"2026-01-15 10:00:00"}}"#)
        clock.set(t0 + 400)
        #expect(sim.get(query("1001"), bearer(token)).text ==
            #"{"data":{"type":"getRunStatus","overall-status":"Completed","start-time":"2026-01-15 10:00:00","completed-time":"2026-01-15 10:05:00"}}"#)
        // Aborted: completed-time is a placeholder equal to start-time.
        #expect(sim.get(query("1002"), bearer(token)).text ==
            #"{"data":{"type":"getRunStatus","overall-status":"Aborted","start-time":"2026-01-15 10:00:00","completed-time":"2026-01-15 10:00:00"}}"#)
    }

    @Test func propertiesFormatWithoutFormatParameter() {
        let sim = make(runs)
        clock.set(t0 + 30)
        let response = sim.get(query("1002", json: false), bearer(token))
        #expect(response.status == 200)
        #expect(response.contentType?.hasPrefix("text/plain") == true)
        #expect(response.text == "overall-status=Running\nstart-time=2026-01-15 10:00:00\n")
    }

    @Test func timesAreServerLocalWithoutZoneOrFraction() {
        let sim = make([SimulatedRun(vendor: "rsa", id: "1002", startOffset: 0.75, script: [(0, "Running")])],
                       offset: 3_600)
        clock.set(t0 + 30)
        #expect(sim.get(query("1002", json: false), bearer(token)).text ==
            "overall-status=Running\nstart-time=2026-01-15 11:00:00\n")
    }

    @Test func errorsAreTheDocumentsHTMLPagesEvenForJSON() {
        let sim = make(runs)
        let invalidToken = sim.get(query("1001"), bearer("expired"))
        #expect(invalidToken.status == 401)
        #expect(invalidToken.contentType?.hasPrefix("text/html") == true)
        #expect(invalidToken.text == """
            <html>
            <head>
            <title>Error</title>
            </head>
            <body>The token is not valid for the command 'getRunStatus'. Token is invalid or expired</body>
            </html>
            """)
        #expect(sim.get(query("1001")).status == 401)

        let unknown = sim.get("/aveksa/command.submit?cmd=getRunStatus&format=json&run-id=999999", bearer(token))
        #expect(unknown.status == 404)
        #expect(unknown.text == """
            <html>
            <head>
            <title>Error</title>
            </head>
            <body>The run-id 999999 is invalid.
            Query String=cmd=getRunStatus&format=json&run-id=999999</body>
            </html>
            """)

        let missing = sim.get("/aveksa/command.submit?cmd=getRunStatus&format=json", bearer(token))
        #expect(missing.status == 412)
        #expect(missing.text.contains("<body>The parameter run-id is required.\nQuery String=cmd=getRunStatus&format=json</body>"))

        let nonNumeric = sim.get("/aveksa/command.submit?cmd=getRunStatus&format=json&run-id=abc", bearer(token))
        #expect(nonNumeric.status == 412)
        #expect(nonNumeric.contentType?.hasPrefix("text/html") == true)
        #expect(nonNumeric.text.contains(
            "<body>The parameter run-id was unable to be parsed into a long.\nQuery String=cmd=getRunStatus&format=json&run-id=abc</body>"))
    }

    @Test func runNotYetCreatedIsUnknown() {
        let sim = make([SimulatedRun(vendor: "rsa", id: "7", startOffset: 100, script: [(0, "Running")])])
        #expect(sim.get(query("7"), bearer(token)).status == 404)
        clock.set(t0 + 100)
        #expect(sim.get(query("7"), bearer(token)).status == 200)
    }
}
