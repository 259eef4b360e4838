import Foundation
import Testing
@testable import RunStatusModel

@Suite struct TimestampTests {
    @Test func daysFromCivilMatchesKnownDates() {
        #expect(Timestamp.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(Timestamp.daysFromCivil(year: 1969, month: 12, day: 31) == -1)
        #expect(Timestamp.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
        #expect(Timestamp.daysFromCivil(year: 2026, month: 1, day: 15) == 20_468)
        #expect(Timestamp.daysFromCivil(year: 1600, month: 1, day: 1) == -135_140)
    }

    @Test func daysFromCivilAgreesWithFoundationEveryDayForYears() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var date = DateComponents(calendar: calendar, year: 1999, month: 12, day: 25).date!
        for _ in 0..<(366 * 6) {
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            #expect(Timestamp.daysFromCivil(year: c.year!, month: c.month!, day: c.day!) * 86_400 == Int(date.timeIntervalSince1970))
            date += 86_400
        }
    }

    @Test(arguments: [
        ("2026-01-15T10:00:00Z", 1_768_471_200.0),
        ("2026-01-15T10:00:00", 1_768_471_200.0),  // zoneless reads as UTC
        ("2026-01-15 10:00:00", 1_768_471_200.0),
        ("2026-01-15t10:00:00z", 1_768_471_200.0),
        ("2026-01-15T10:00Z", 1_768_471_200.0),
        ("2026-01-15T12:00:00+02:00", 1_768_471_200.0),
        ("2026-01-15T12:00:00+0200", 1_768_471_200.0),
        ("2026-01-15T12:00:00+02", 1_768_471_200.0),
        ("2026-01-15T04:30:00-05:30", 1_768_471_200.0),
        ("2026-01-15 10:00:00 UTC", 1_768_471_200.0),
        ("2026-01-15 10:00:00 +0000", 1_768_471_200.0),
        ("  2026-01-15T10:00:00Z\n", 1_768_471_200.0),
        ("2023-11-07T05:31:56Z", 1_699_335_116.0),
        ("2026-04-01T18:19:38.851Z", 1_775_067_578.851),
        ("2026-04-01T18:19:38,851Z", 1_775_067_578.851),
        ("2023-11-07T05:31:56.1234567", 1_699_335_116.1234567),  // .NET's seven digits
        ("2023-11-07T05:31:56.123456789123Z", 1_699_335_116.123456789),
        ("2024-02-29T23:59:59Z", 1_709_251_199.0),
        ("2016-12-31T23:59:60Z", 1_483_228_800.0),  // a leap second reads as the next one
        ("9999-12-31T23:59:59Z", 253_402_300_799.0),
    ])
    func readsISO8601(text: String, seconds: Double) {
        #expect(close(Timestamp.parseISO8601(text), seconds), "\(text)")
    }

    @Test(arguments: [
        "", "2026", "2026-01-15", "2026-01-15T", "2026-1-15T10:00:00Z", "2026-01-15T10:00:00ZZ",
        "2023-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
        "2026-01-15T24:00:00Z", "2026-01-15T10:60:00Z", "2026-01-15T10:00:61Z", "2026-01-15T10:00:00.Z",
        "2026-01-15T10:00:00+24:00", "2026-01-15T10:00:00+02:60", "2026-01-15T10:00:00 CET",
        "1969-12-31T23:59:59Z", "2026-01-15X10:00:00Z", "not a time", "１２３４-01-15T10:00:00Z",
    ])
    func refusesWhatIsNotATime(text: String) {
        #expect(Timestamp.parseISO8601(text) == nil, "\(text)")
    }

    @Test func civilTimeKeepsTheFields() throws {
        let c = try #require(Timestamp.parseCivil("2026-03-29T02:30:15.5+01:00"))
        #expect(c == Timestamp.CivilTime(year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 15,
                                         nanosecond: 500_000_000, utcOffset: 3_600))
        #expect(try #require(Timestamp.parseCivil("2026-03-29 02:30:15")).utcOffset == nil)
    }

    @Test(arguments: [
        // Winter (CET, +1) and summer (CEST, +2).
        ("2026-01-15 10:00:00", 1_768_467_600.0),
        ("2026-07-15 10:00:00", 1_784_102_400.0),
        // Spring forward on 2026-03-29: 02:00-03:00 does not exist; it reads as the clocks then
        // showed it, 01:30 UTC (03:30 CEST).
        ("2026-03-29 01:59:59", 1_774_745_999.0),
        ("2026-03-29 02:30:00", 1_774_747_800.0),
        ("2026-03-29 03:00:00", 1_774_746_000.0),
        // Fall back on 2026-10-25: 02:00-03:00 happens twice; the first (CEST) is taken.
        ("2026-10-25 01:59:59", 1_792_886_399.0),
        ("2026-10-25 02:30:00", 1_792_888_200.0),
        ("2026-10-25 03:00:00", 1_792_893_600.0),
        // An explicit offset wins over the zone.
        ("2026-07-15 10:00:00Z", 1_784_109_600.0),
    ])
    func readsBerlinWallTimesAcrossDST(text: String, seconds: Double) throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        #expect(Timestamp.parseLocal(text, in: berlin) == seconds, "\(text)")
    }

    @Test func readsNewYorkWallTimesAcrossDST() throws {
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        #expect(Timestamp.parseLocal("2026-03-08 02:30:00", in: newYork) == 1_772_955_000)
        #expect(Timestamp.parseLocal("2026-11-01 01:30:00", in: newYork) == 1_793_511_000)
    }

    @Test func wallTimesInUTCNeedNoZoneData() throws {
        let zone = try #require(TimeZone(identifier: "UTC"))
        #expect(Timestamp.parseLocal("2026-01-15 10:00:00", in: zone) == 1_768_471_200)
    }

    @Test func nanosecondsBeyond2To53AreSplitExactly() {
        let ns: Int64 = 1_689_000_000_123_456_789
        #expect(Int64(Double(ns)) != ns)  // why a Double cannot carry them
        let seconds = Timestamp.seconds(fromUnixNanoseconds: ns)
        #expect(seconds.rounded(.down) == 1_689_000_000)
        #expect(abs((seconds - 1_689_000_000) - 0.123_456_789) < 1e-6)
        #expect(Timestamp.seconds(fromUnixNanoseconds: 1_689_000_000_000_000_000) == 1_689_000_000)
        #expect(Timestamp.seconds(fromUnixNanoseconds: .max) > 9.2e9)
    }

    @Test(arguments: [
        ("1700000000", 1_700_000_000.0), ("1700000000.25", 1_700_000_000.25), ("0", 0.0),
    ])
    func readsEpochSeconds(text: String, seconds: Double) {
        #expect(Timestamp.parseEpochSeconds(text) == seconds)
    }

    @Test(arguments: ["", ".", "1.", ".5", "-1", "+1", "1e9", "inf", "nan", "0x10", "1.2.3", "99999999999999", "1 2"])
    func refusesWhatIsNotEpochSeconds(text: String) {
        #expect(Timestamp.parseEpochSeconds(text) == nil, "\(text)")
    }

    @Test(arguments: [
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Wednesday, 21-Oct-15 07:28:00 GMT",
        "Wed Oct 21 07:28:00 2015",
    ])
    func readsTheThreeHTTPDateForms(text: String) {
        #expect(Timestamp.parseHTTPDate(text) == 1_445_412_480)
    }

    @Test(arguments: ["", "Wed, 32 Oct 2015 07:28:00 GMT", "Wed, 21 Foo 2015 07:28:00 GMT", "Wed, 21 Oct 2015 GMT",
                      "Wed, 21 Oct 2015 07:28:00 CET", "120", "Wed, 21 Oct 2015 25:28:00 GMT"])
    func refusesWhatIsNotAnHTTPDate(text: String) {
        #expect(Timestamp.parseHTTPDate(text) == nil, "\(text)")
    }
}
