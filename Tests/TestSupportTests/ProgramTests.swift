import Testing
import TestSupport

/// A missing program skips a test with a line saying what is missing and how to get it.
@Suite struct ProgramTests {
    static let absent = Program.onPath("runstatus-no-such-tool", hint: "apt-get install nothing")

    @Test func anAbsentToolIsReportedWithItsHint() throws {
        #expect(Self.absent.path == nil)
        #expect(Self.absent.missing.contains("runstatus-no-such-tool not found: apt-get install nothing"))
        #expect(throws: TestFailure.self) { try Self.absent.require() }
    }

    @Test func aToolOnThePathIsFound() throws {
        let shell = Program.onPath("sh", hint: "")
        #expect(try shell.require().hasSuffix("/sh"))
    }

    /// Shows the skip line in the output; it never runs.
    @Test(.requires(ProgramTests.absent)) func skippedWhenAToolIsMissing() {
        Issue.record("ran although runstatus-no-such-tool is missing")
    }
}
