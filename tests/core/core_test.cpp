#include <gtest/gtest.h>

#include <set>

#include "core/crypto.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/ids.h"
#include "core/time.h"

namespace ferry::core {
namespace {

TEST(IdsTest, UuidsAreVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = new_uuid();
    ASSERT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(std::string("89ab").find(id[19]) != std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_FALSE(is_uuid("not-a-uuid"));
  EXPECT_FALSE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));
  EXPECT_FALSE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950g"));
}

TEST(TimeTest, RendersRfc3339WithMicrosecondsAndZ) {
  const auto t = parse_rfc3339("2021-03-30T19:44:18.695973Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2021-03-30T19:44:18.695973Z");
  EXPECT_EQ(format_rfc3339_seconds(*t), "2021-03-30T19:44:18Z");
  EXPECT_EQ(format_rfc3339(from_micros(0)), "1970-01-01T00:00:00.000000Z");
}

// format_rfc3339 does its own calendar arithmetic: before the epoch, leap days and the last microsecond of a
// year must come out as the calendar says.
TEST(TimeTest, RendersCalendarEdges) {
  EXPECT_EQ(format_rfc3339(from_micros(-1)), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2024-02-29T12:00:00.000007Z")), "2024-02-29T12:00:00.000007Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("1900-03-01T00:00:00Z") - std::chrono::microseconds(1)),
            "1900-02-28T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2000-12-31T23:59:59.999999Z")), "2000-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("0001-01-01T00:00:00Z")), "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("9999-12-31T23:59:59.5Z")), "9999-12-31T23:59:59.500000Z");
}

TEST(TimeTest, ParsesOffsetsAndShortFractions) {
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2024-01-01T02:00:00.5+02:00")), "2024-01-01T00:00:00.500000Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2023-12-31T23:30:00-01:00")), "2024-01-01T00:30:00.000000Z");
  for (const char* bad : {"", "2024-01-01", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
                          "2024-01-01T00:00:00", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00Zjunk"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

TEST(ErrorTest, CategoriesAndTransience) {
  EXPECT_TRUE(is_transient(ErrorCategory::kSourceUnavailable));
  EXPECT_TRUE(is_transient(ErrorCategory::kRateLimited));
  EXPECT_FALSE(is_transient(ErrorCategory::kCredentialsInvalid));
  EXPECT_FALSE(is_transient(ErrorCategory::kOauthCredentialsExpired));
  EXPECT_FALSE(is_transient(ErrorCategory::kConfigInvalid));
  EXPECT_EQ(to_string(ErrorCategory::kOauthCredentialsExpired), "oauth_credentials_expired");
  for (auto c : {ErrorCategory::kCredentialsInvalid, ErrorCategory::kOauthCredentialsExpired,
                 ErrorCategory::kSourceUnavailable, ErrorCategory::kRateLimited,
                 ErrorCategory::kConfigInvalid, ErrorCategory::kDestinationError, ErrorCategory::kInternal}) {
    EXPECT_EQ(parse_error_category(to_string(c)), c);
  }
}

TEST(CryptoTest, SecretBoxRoundTripsAndDetectsTampering) {
  std::array<unsigned char, SecretBox::kKeySize> key{};
  key[0] = 7;
  SecretBox box(key);
  const auto sealed = box.seal("hunter2");
  EXPECT_EQ(sealed.find("hunter2"), std::string::npos);
  EXPECT_EQ(box.open(sealed), "hunter2");
  EXPECT_NE(box.seal("hunter2"), sealed);  // fresh nonce each time
  auto tampered = sealed;
  tampered.back() ^= 1;
  EXPECT_THROW(box.open(tampered), FerryError);
  key[0] = 8;
  EXPECT_THROW(SecretBox(key).open(sealed), FerryError);
}

TEST(CryptoTest, ApiKeyHashIsSha256Hex) {
  EXPECT_EQ(hash_api_key("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(EncodingTest, Base64VariantsRoundTripAndRejectGarbage) {
  const std::string bytes("\x00\xff\xfe binary?", 12);
  const auto encoded = base64url_encode(bytes);
  EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(base64url_decode(encoded), bytes);
  EXPECT_EQ(base64_decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_FALSE(base64url_decode("not base64!"));
  EXPECT_FALSE(base64_decode("@@@"));
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace ferry::core
