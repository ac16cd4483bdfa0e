#include "parse/timeparse.h"

#include <gtest/gtest.h>

namespace newsd::parse {
namespace {

std::string t(std::string_view text, std::string_view zone = "UTC") {
  const auto ts = parse_time(text, zone);
  return ts ? format_rfc3339(*ts) : "null";
}

TEST(TimeParse, ReadsRfc3339) {
  EXPECT_EQ(t("2022-01-26T12:27:25Z"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("2022-01-26T20:27:25+08:00"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("2022-01-26T20:27:25.123456+08:00"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("2003-12-13T18:30:02-05:00"), "2003-12-13T23:30:02Z");
  EXPECT_EQ(t("2022-01-26t12:27:25z"), "2022-01-26T12:27:25Z");
}

TEST(TimeParse, ReadsSpaceSeparatedTimesWithOffset) {
  EXPECT_EQ(t("2022-01-26 20:27:25 +0800"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("2021-12-23 07:25:33 +0800"), "2021-12-22T23:25:33Z");
  EXPECT_EQ(t("2022-01-26 20:27 +08:00"), "2022-01-26T12:27:00Z");
}

TEST(TimeParse, ReadsTimesWithoutOffsetInTheSourceZone) {
  EXPECT_EQ(t("2022-01-26 20:27:25", "Asia/Shanghai"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("2022-01-26 20:27:25"), "2022-01-26T20:27:25Z");
  // Daylight saving time is honoured.
  EXPECT_EQ(t("2022-07-01 12:00:00", "America/New_York"), "2022-07-01T16:00:00Z");
  EXPECT_EQ(t("2022-01-01 12:00:00", "America/New_York"), "2022-01-01T17:00:00Z");
  EXPECT_EQ(t("2022-01-26", "Asia/Shanghai"), "2022-01-25T16:00:00Z");
}

TEST(TimeParse, ReadsRfc822WithNumericAndNamedZones) {
  EXPECT_EQ(t("Wed, 26 Jan 2022 20:27:25 +0800"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 12:27:25 GMT"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("26 Jan 2022 07:27:25 EST"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Sat, 07 Sep 02 00:00:01 PDT"), "2002-09-07T07:00:01Z");
  EXPECT_EQ(t("Wed, 26 January 2022 12:27 UT"), "2022-01-26T12:27:00Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 20:27:25", "Asia/Shanghai"), "2022-01-26T12:27:25Z");
}

TEST(TimeParse, ReadsMonthFirstDatesWithTwelveHourClock) {
  EXPECT_EQ(t("Sat, Dec 16 2023 02:02:33 PM", "America/New_York"), "2023-12-16T19:02:33Z");
  EXPECT_EQ(t("Dec 16, 2023 12:05 AM +0000"), "2023-12-16T00:05:00Z");
  EXPECT_EQ(t("Dec 16 2023 13:05 PM"), "null");
}

TEST(TimeParse, ReadsMilitaryAndNorthAmericanZoneNames) {
  EXPECT_EQ(t("Wed, 26 Jan 2022 12:27:25 Z"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 13:27:25 A"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Thu, 27 Jan 2022 00:27:25 M"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 11:27:25 N"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 00:27:25 Y"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 12:27:25 J"), "null");  // "local time" is no zone
  EXPECT_EQ(t("Wed, 26 Jan 2022 04:27:25 pst"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 03:27:25 AKST"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 02:27:25 HST"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 20:27:25 GMT+8"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 20:27:25 UTC+08:00"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed, 26 Jan 2022 20:27:25 +0800 (CST)"), "2022-01-26T12:27:25Z");
}

TEST(TimeParse, ReadsRfc822WithoutDayOfWeekSecondsOrFourDigitYear) {
  EXPECT_EQ(t("26 Jan 2022 12:27 GMT"), "2022-01-26T12:27:00Z");
  EXPECT_EQ(t("1 Feb 99 08:00 +0000"), "1999-02-01T08:00:00Z");
  EXPECT_EQ(t("1 Feb 49 08:00 +0000"), "2049-02-01T08:00:00Z");
  EXPECT_EQ(t("Wednesday, 26-Jan-22 12:27:25 GMT"), "2022-01-26T12:27:25Z");  // RFC 850
  EXPECT_EQ(t("Wed,26 Jan 2022 12:27:25 GMT"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("26 Jan 2022"), "2022-01-26T00:00:00Z");
}

TEST(TimeParse, ReadsAsctime) {
  EXPECT_EQ(t("Wed Jan 26 12:27:25 2022"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed Jan 26 20:27:25 2022", "Asia/Shanghai"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("Wed Jan 26 12:27:25 22:00"), "null");
}

TEST(TimeParse, ReadsW3cdtfAtEveryPrecision) {
  EXPECT_EQ(t("2022"), "2022-01-01T00:00:00Z");
  EXPECT_EQ(t("2022-03"), "2022-03-01T00:00:00Z");
  EXPECT_EQ(t("2022-03-04"), "2022-03-04T00:00:00Z");
  EXPECT_EQ(t("2022-03-04T05:06+01:00"), "2022-03-04T04:06:00Z");
  EXPECT_EQ(t("2022-03-04T05:06:07.5-01:00"), "2022-03-04T06:06:07Z");
  EXPECT_EQ(t("2022-03-04T05:06:07,999999999Z"), "2022-03-04T05:06:07Z");
  EXPECT_EQ(t("2022-03-04T05:06:07+01"), "2022-03-04T04:06:07Z");
  EXPECT_EQ(t("2022-03-04T05Z"), "null");
  EXPECT_EQ(t("2022-3"), "2022-03-01T00:00:00Z");
  EXPECT_EQ(t("2022-00"), "null");
}

TEST(TimeParse, ReadsIsoBasicFormat) {
  EXPECT_EQ(t("20220126"), "2022-01-26T00:00:00Z");
  EXPECT_EQ(t("20220126T122725Z"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("20220126T2027+0800"), "2022-01-26T12:27:00Z");
  EXPECT_EQ(t("20221326"), "null");
}

TEST(TimeParse, ReadsListApiTimesInTheSourceZone) {
  EXPECT_EQ(t("2022-01-26 20:27:25", "Asia/Shanghai"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("2022/01/26 20:27", "Asia/Shanghai"), "2022-01-26T12:27:00Z");
  EXPECT_EQ(t("2022-1-6 9:05:00", "Asia/Shanghai"), "2022-01-06T01:05:00Z");
  EXPECT_EQ(t("2022/01-26 20:27"), "null");  // mixed separators
}

TEST(TimeParse, ReadsChineseDates) {
  EXPECT_EQ(t("2022年01月26日 20:27", "Asia/Shanghai"), "2022-01-26T12:27:00Z");
  EXPECT_EQ(t("2022年01月26日 20:27:25", "Asia/Shanghai"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("2022年1月26日", "Asia/Shanghai"), "2022-01-25T16:00:00Z");
  EXPECT_EQ(t("2022年1月26日20:27"), "2022-01-26T20:27:00Z");
  EXPECT_EQ(t("2022年13月26日"), "null");
  EXPECT_EQ(t("2022年1月"), "null");
}

TEST(TimeParse, ReadsEpochSecondsAndMilliseconds) {
  EXPECT_EQ(t("1643200045"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("1643200045123"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("1643200045.5"), "2022-01-26T12:27:25Z");
  EXPECT_EQ(t("1643200045", "Asia/Shanghai"), "2022-01-26T12:27:25Z");  // epochs are UTC
  EXPECT_EQ(t("12345"), "null");
  EXPECT_EQ(t("16432000451234567"), "null");
  EXPECT_EQ(t("1643200045x"), "null");
}

// Found by tests/fuzz/timeparse_fuzz (corpus/timeparse/regression_epoch_digits_overflow):
// a long run of digits overflowed the epoch accumulator before its length was checked.
TEST(TimeParse, RejectsLongDigitRunsWithoutOverflow) {
  EXPECT_EQ(t("2022222010122201262672"), "null");
  EXPECT_EQ(t("99999999999999999999999999999999"), "null");
  EXPECT_EQ(t("9999999999999"), "2286-11-20T17:46:39Z");
}

// Found by tests/fuzz/timeparse_fuzz (corpus/timeparse/regression_year_zero_in_zone): year
// 0000 east of UTC became year -1, which no RFC 3339 reader accepts back.
TEST(TimeParse, RejectsYearsOutsideFourDigits) {
  EXPECT_EQ(t("0000", "Asia/Shanghai"), "null");
  EXPECT_EQ(t("0999-01-01T00:00:00Z"), "null");
  EXPECT_EQ(t("9999-12-31T23:00:00-02:00"), "null");
  EXPECT_EQ(t("1000-01-01T00:00:00Z"), "1000-01-01T00:00:00Z");
  EXPECT_EQ(t("9999-12-31T23:59:59Z"), "9999-12-31T23:59:59Z");
}

TEST(TimeParse, ReturnsNothingRatherThanGuessing) {
  EXPECT_EQ(t(""), "null");
  EXPECT_EQ(t("yesterday"), "null");
  EXPECT_EQ(t("2022-13-01T00:00:00Z"), "null");
  EXPECT_EQ(t("2022-02-30T00:00:00Z"), "null");
  EXPECT_EQ(t("2022-01-26T25:00:00Z"), "null");
  EXPECT_EQ(t("Wed, 26 Jan 2022 12:27:25 XYZ"), "null");
  EXPECT_EQ(t("2022-01-26 20:27:25", "Mars/Olympus_Mons"), "null");
  EXPECT_EQ(t("2022-01-26T20:27:25+0800 trailing"), "null");
  EXPECT_EQ(t("26/01/2022"), "null");  // day-first or month-first? Not guessed.
  EXPECT_EQ(t("01/02/2022 10:00"), "null");
  EXPECT_EQ(t("Jan 2022"), "null");
  EXPECT_EQ(t("Wed, 26 Foo 2022 12:27:25 GMT"), "null");
  EXPECT_EQ(t("Wed, 26 Jan 2022 12:27:25 GMT+25"), "null");
  EXPECT_EQ(t(std::string(100, '1')), "null");
}

TEST(TimeParse, ComputesZoneOffsetsWithIcu) {
  using namespace std::chrono;
  const local_seconds noon = local_days{2022y / January / 26} + 12h;
  EXPECT_EQ(zone_offset_at_local("Asia/Shanghai", noon), 8 * 3600);
  EXPECT_EQ(zone_offset_at_local("UTC", noon), 0);
  EXPECT_EQ(zone_offset_at_local("Europe/Berlin", noon), 3600);
  EXPECT_EQ(zone_offset_at_local("No/Such_Zone", noon), std::nullopt);
}

}  // namespace
}  // namespace newsd::parse
