import Testing
@testable import RunStatusModel

/// The bodies are copied verbatim from the RSA document (vendor-docs/000_4805e5c16d949753.txt).
@Suite struct RSAAdapterTests {
    let rsa = RSAAdapter()

    static let running = """
    {
    "data": {
    "type": "getRunStatus",
    "overall-status": "Running",
    "start-time": "2026-01-15 10:00:00"
    }
    }
    """
    static let completed = """
    {
    "data": {
    "type": "getRunStatus",
    "overall-status": "Completed",
    "start-time": "2026-01-15 10:00:00",
    "completed-time": "2026-01-15 10:05:00"
    }
    }
    """
    static let aborted = """
    {
    "data": {
    "type": "getRunStatus",
    "overall-status": "Aborted",
    "start-time": "2026-01-15 10:00:00",
    "completed-time": "2026-01-15 10:00:00"
    }
    }
    """
    static let properties = """
    overall-status=Running
    start-time=2026-01-15 10:00:00
    """
    static let invalidToken = """
    <html>
    <head>
    <title>Error</title>
    </head>
    <body>The token is not valid for the command 'getRunStatus'. Token is invalid or expired</body>
    </html>
    """
    static let invalidRunID = """
    <html>
    <head>
    <title>Error</title>
    </head>
    <body>The run-id 999999 is invalid.
    Query String=cmd=getRunStatus&format=json&run-id=999999</body>
    </html>
    """
    static let missingRunID = """
    <html>
    <head>
    <title>Error</title>
    </head>
    <body>The parameter run-id is required.
    Query String=cmd=getRunStatus&format=json</body>
    </html>
    """
    static let nonNumericRunID = """
    <html>
    <head>
    <title>Error</title>
    </head>
    <body>The parameter run-id was unable to be parsed into a long.
    Query String=cmd=getRunStatus&format=json&run-id=abc</body>
    </html>
    """

    @Test func requestsJSONForANumericRunID() {
        #expect(rsa.validate(runID: "1001") == nil)
        for bad in ["", "abc", "-1", "1.5", " 1001", "1001/2", "99999999999999999999"] {
            #expect(rsa.validate(runID: bad) != nil, "\(bad)")
        }
        let request = rsa.statusRequest(runID: "1001")
        #expect(request.pathAndQuery == "/aveksa/command.submit?cmd=getRunStatus&format=json&run-id=1001")
        #expect(request.headers["Accept"] == "application/json")
        #expect(rsa.detailsRequest(runID: "1001") == nil)
    }

    @Test func running() throws {
        let o = try observed(rsa.decodeStatus(answer(200, Self.running), runID: "1001", context: utc))
        #expect(o == RunObservation(state: .running, vendorState: "Running", startTime: 1_768_471_200))
    }

    @Test func completed() throws {
        let o = try observed(rsa.decodeStatus(answer(200, Self.completed), runID: "1001", context: utc))
        #expect(o == RunObservation(state: .succeeded, vendorState: "Completed", startTime: 1_768_471_200, endTime: 1_768_471_500))
    }

    @Test func abortedEndEqualToStartIsAPlaceholder() throws {
        let o = try observed(rsa.decodeStatus(answer(200, Self.aborted), runID: "1001", context: utc))
        #expect(o == RunObservation(state: .failed, vendorState: "Aborted", startTime: 1_768_471_200, endTime: nil))
    }

    @Test func abortedWithARealEndKeepsIt() throws {
        let body = Self.aborted.replacingOccurrences(of: "\"completed-time\": \"2026-01-15 10:00:00\"",
                                                     with: "\"completed-time\": \"2026-01-15 10:02:00\"")
        let o = try observed(rsa.decodeStatus(answer(200, body), runID: "1001", context: utc))
        #expect(o.endTime == 1_768_471_320)
    }

    @Test func propertiesFormat() throws {
        let o = try observed(rsa.decodeStatus(answer(200, Self.properties), runID: "1001", context: utc))
        #expect(o == RunObservation(state: .running, vendorState: "Running", startTime: 1_768_471_200))
    }

    @Test func propertiesAsJavaWritesThem() throws {
        let body = "#Thu Jan 15 10:05:01 UTC 2026\r\noverall-status=Completed\r\nstart-time=2026-01-15 10\\:00\\:00\r\ncompleted-time = 2026-01-15 10\\:05\\:00\r\n"
        let o = try observed(rsa.decodeStatus(answer(200, body), runID: "1001", context: utc))
        #expect(o == RunObservation(state: .succeeded, vendorState: "Completed", startTime: 1_768_471_200, endTime: 1_768_471_500))
    }

    @Test func newIsQueuedAndUnknownValuesAreCounted() throws {
        let new = try observed(rsa.decodeStatus(answer(200, "overall-status=New\n"), runID: "1001", context: utc))
        #expect(new.state == .queued && new.mapped && new.startTime == nil)
        let odd = try observed(rsa.decodeStatus(answer(200, #"{"data": {"overall-status": "Suspended", "completed-time": "2026-01-15 10:05:00"}}"#),
                                                runID: "1001", context: utc))
        #expect(odd == RunObservation(state: .unknown, vendorState: "Suspended", mapped: false))
    }

    @Test func timesAreInTheTargetsZoneAcrossDST() throws {
        let berlin = DecodeContext(timeZoneIdentifier: "Europe/Berlin", now: testNow)
        let winter = try observed(rsa.decodeStatus(answer(200, Self.completed), runID: "1001", context: berlin))
        #expect(winter.startTime == 1_768_467_600 && winter.endTime == 1_768_467_900)  // CET, UTC+1
        let summer = Self.completed.replacingOccurrences(of: "2026-01-15", with: "2026-07-15")
        let o = try observed(rsa.decodeStatus(answer(200, summer), runID: "1001", context: berlin))
        #expect(o.startTime == 1_784_102_400)  // CEST, UTC+2
        // A run across the autumn change: 01:30 CEST to 02:30 CET is two hours.
        let across = #"{"data": {"overall-status": "Completed", "start-time": "2026-10-25 01:30:00", "completed-time": "2026-10-25 03:30:00"}}"#
        let a = try observed(rsa.decodeStatus(answer(200, across), runID: "1001", context: berlin))
        #expect(try #require(a.endTime) - #require(a.startTime) == 3 * 3_600)
    }

    @Test func unknownZoneIsNamed() throws {
        let e = try failed(rsa.decodeStatus(answer(200, Self.running), runID: "1001",
                                            context: DecodeContext(timeZoneIdentifier: "Mars/Olympus", now: testNow)))
        #expect(e.reason == .decode && e.message.contains("Mars/Olympus"))
    }

    @Test func htmlErrorsCarryTheBodyText() throws {
        let cases: [(Int, String, PollErrorReason, String)] = [
            (401, Self.invalidToken, .unauthorized,
             "run 1001: The token is not valid for the command 'getRunStatus'. Token is invalid or expired"),
            (404, Self.invalidRunID, .notFound,
             "run 999999: The run-id 999999 is invalid. Query String=cmd=getRunStatus&format=json&run-id=999999"),
            (412, Self.missingRunID, .badRequest,
             "run 1001: The parameter run-id is required. Query String=cmd=getRunStatus&format=json"),
            (412, Self.nonNumericRunID, .badRequest,
             "run abc: The parameter run-id was unable to be parsed into a long. Query String=cmd=getRunStatus&format=json&run-id=abc"),
        ]
        for (status, body, reason, message) in cases {
            let run = message.dropFirst(4).prefix(while: { $0 != ":" })
            let e = try failed(rsa.decodeStatus(answer(status, body, headers: ["Content-Type": "text/html"]), runID: String(run), context: utc))
            #expect(e == PollError(reason, message, status: status))
        }
    }

    @Test func longErrorPagesAreBounded() throws {
        let body = "<html><body><style>p{}</style>" + String(repeating: "very long text &amp; more ", count: 500) + "</body></html>"
        let e = try failed(rsa.decodeStatus(answer(500, body), runID: "1001", context: utc))
        #expect(e.reason == .serverError)
        #expect(e.message.hasPrefix("run 1001: very long text & more"))
        #expect(e.message.count <= PollError.vendorTextLimit + 20 && e.message.hasSuffix("…"))
        #expect(!e.message.contains("p{}"))
    }

    @Test func wrongAnswersAreDecodeErrors() throws {
        let proxy = try failed(rsa.decodeStatus(answer(200, "<html><head><title>Login</title></head><body><h1>Please sign in</h1></body></html>"),
                                                runID: "1001", context: utc))
        #expect(proxy.reason == .decode && proxy.message == "run 1001: answer is an HTML page, not a run status: Please sign in")
        let truncated = try failed(rsa.decodeStatus(answer(200, String(Self.completed.prefix(60))), runID: "1001", context: utc))
        #expect(truncated.reason == .decode && truncated.message.contains("truncated"))
        let missing = try failed(rsa.decodeStatus(answer(200, #"{"data": {"type": "getRunStatus"}}"#), runID: "1001", context: utc))
        #expect(missing.message == #"run 1001: field "data.overall-status" is missing"#)
        let text = try failed(rsa.decodeStatus(answer(200, "Service temporarily overloaded"), runID: "1001", context: utc))
        #expect(text.reason == .decode && text.message.contains("overall-status") && text.message.contains("overloaded"))
        let badTime = try failed(rsa.decodeStatus(answer(200, "overall-status=Running\nstart-time=15/01/2026 10:00"), runID: "1001", context: utc))
        #expect(badTime.message.contains(#"field "start-time""#) && badTime.message.contains("15/01/2026"))
        let empty = try failed(rsa.decodeStatus(answer(200, ""), runID: "1001", context: utc))
        #expect(empty.reason == .decode && empty.status == 200)
    }
}
