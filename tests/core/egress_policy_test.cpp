// core::EgressPolicy: rule parsing, the default denies, the precedence of allow / deny / the own listener,
// and checks on socket addresses (IPv4, IPv6, IPv4-mapped IPv6).
#include "core/egress_policy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

#include "core/error.h"

namespace ferry::core {
namespace {

bool allowed(const EgressPolicy& policy, std::string_view ip, uint16_t port) {
  return !policy.refusal(ip, port).has_value();
}

TEST(EgressRule, ParsesEveryForm) {
  const auto v4 = EgressRule::parse("10.1.2.3/8");
  EXPECT_EQ(v4.prefix_bits, 96 + 8);
  EXPECT_FALSE(v4.port.has_value());
  EXPECT_EQ(EgressRule::parse("127.0.0.1/32:5432").port, 5432);
  EXPECT_EQ(EgressRule::parse("127.0.0.1").prefix_bits, 128);
  EXPECT_EQ(EgressRule::parse("127.0.0.1:80").port, 80);
  const auto v6 = EgressRule::parse("[::1]/128:8080");
  EXPECT_EQ(v6.prefix_bits, 128);
  EXPECT_EQ(v6.port, 8080);
  EXPECT_EQ(EgressRule::parse("fd00::/8").prefix_bits, 8);
  EXPECT_EQ(EgressRule::parse("[fd00::1]:9").port, 9);
}

TEST(EgressRule, MalformedRulesNameThemselves) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/8:0", "10.0.0.0/8:70000", "example.com",
                          "[::1", "[::1]x", "10.0.0.0/x"}) {
    try {
      EgressRule::parse(bad);
      ADD_FAILURE() << bad << " parsed";
    } catch (const FerryError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
      EXPECT_NE(std::string(e.what()).find("'" + std::string(bad) + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(EgressRule, MatchesPrefixAndPort) {
  const auto rule = EgressRule::parse("192.168.0.0/23:5432");
  const auto policy_free = [&](const char* ip, uint16_t port) {
    in_addr a{};
    inet_pton(AF_INET, ip, &a);
    std::array<uint8_t, 16> mapped{};
    mapped[10] = mapped[11] = 0xff;
    std::memcpy(mapped.data() + 12, &a, 4);
    return rule.matches(mapped, port);
  };
  EXPECT_TRUE(policy_free("192.168.1.200", 5432));
  EXPECT_FALSE(policy_free("192.168.2.1", 5432));
  EXPECT_FALSE(policy_free("192.168.1.200", 5433));
}

TEST(EgressPolicy, DefaultsDenyLocalAndMetadataAddresses) {
  const auto policy = EgressPolicy::defaults();
  for (const char* ip :
       {"127.0.0.1", "127.1.2.3", "::1", "169.254.169.254", "169.254.0.1", "fe80::1", "0.0.0.0",
        "::", "224.0.0.1", "239.255.255.250", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254"}) {
    const auto why = policy.refusal(ip, 80);
    ASSERT_TRUE(why.has_value()) << ip;
    EXPECT_NE(why->find("egress policy refuses"), std::string::npos) << *why;
  }
  for (const char* ip : {"10.0.0.5", "192.168.1.1", "172.16.0.1", "8.8.8.8", "2001:db8::1", "fd00::1"}) {
    EXPECT_TRUE(allowed(policy, ip, 5432)) << ip;
  }
  EXPECT_NE(policy.refusal("169.254.169.254", 80)->find("169.254.169.254:80 (link-local"), std::string::npos);
}

TEST(EgressPolicy, AnExplicitAllowWinsOverADefaultDenyOnlyWhereItMatches) {
  auto policy = EgressPolicy::defaults();
  policy.allow("127.0.0.1/32");
  EXPECT_TRUE(allowed(policy, "127.0.0.1", 5432));
  EXPECT_TRUE(allowed(policy, "::ffff:127.0.0.1", 5432));  // the same address over an IPv6 socket
  EXPECT_FALSE(allowed(policy, "127.0.0.2", 5432));
  EXPECT_FALSE(allowed(policy, "::1", 5432));
  auto one_port = EgressPolicy::defaults();
  one_port.allow("127.0.0.1/32:5432");
  EXPECT_TRUE(allowed(one_port, "127.0.0.1", 5432));
  EXPECT_FALSE(allowed(one_port, "127.0.0.1", 6379));
}

TEST(EgressPolicy, DenyWinsOverAllow) {
  auto policy = EgressPolicy::defaults();
  policy.allow("10.0.0.0/8");
  policy.deny("10.0.0.7/32");
  policy.deny("10.1.0.0/16:22");
  EXPECT_TRUE(allowed(policy, "10.0.0.6", 80));
  EXPECT_FALSE(allowed(policy, "10.0.0.7", 80));
  EXPECT_NE(policy.refusal("10.0.0.7", 80)->find("deny_egress 10.0.0.7/32"), std::string::npos);
  EXPECT_FALSE(allowed(policy, "10.1.2.3", 22));
  EXPECT_TRUE(allowed(policy, "10.1.2.3", 23));
  auto everything_else = EgressPolicy::allow_all();
  everything_else.deny("8.8.8.8/32");
  EXPECT_FALSE(allowed(everything_else, "8.8.8.8", 53));
  EXPECT_TRUE(allowed(everything_else, "127.0.0.1", 53));
}

TEST(EgressPolicy, TheOwnListenerIsNeverReachable) {
  auto policy = EgressPolicy::allow_all();
  policy.allow("127.0.0.0/8");
  policy.deny_own_listener("127.0.0.1", 8080);
  EXPECT_FALSE(allowed(policy, "127.0.0.1", 8080));
  EXPECT_FALSE(allowed(policy, "127.0.0.2", 8080));
  EXPECT_FALSE(allowed(policy, "::1", 8080));
  EXPECT_FALSE(allowed(policy, "0.0.0.0", 8080));
  EXPECT_FALSE(allowed(policy, "::ffff:127.0.0.1", 8080));
  EXPECT_TRUE(allowed(policy, "127.0.0.1", 8081));
  EXPECT_NE(policy.refusal("127.0.0.1", 8080)->find("ferry's own API listener"), std::string::npos);
}

TEST(EgressPolicy, AnUnspecifiedListenerIsDeniedOnEveryLocalAddress) {
  auto policy = EgressPolicy::allow_all();
  policy.deny_own_listener("0.0.0.0", 9000);
  EXPECT_FALSE(allowed(policy, "127.0.0.1", 9000));
  EXPECT_FALSE(allowed(policy, "::1", 9000));
  ifaddrs* interfaces = nullptr;
  ASSERT_EQ(getifaddrs(&interfaces), 0);
  const std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> owned(interfaces, &freeifaddrs);
  int checked = 0;
  for (const ifaddrs* i = interfaces; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    sockaddr_in at = *reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    at.sin_port = htons(9000);
    EXPECT_TRUE(policy.refusal(reinterpret_cast<const sockaddr*>(&at), sizeof(at)).has_value());
    at.sin_port = htons(9001);
    EXPECT_FALSE(policy.refusal(reinterpret_cast<const sockaddr*>(&at), sizeof(at)).has_value());
    ++checked;
  }
  EXPECT_GT(checked, 0);
  auto by_name = EgressPolicy::allow_all();
  by_name.deny_own_listener("localhost", 7000);
  EXPECT_FALSE(allowed(by_name, "127.0.0.1", 7000));
}

TEST(EgressPolicy, ChecksSocketAddresses) {
  auto policy = EgressPolicy::defaults();
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(443);
  inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
  const auto why = policy.refusal(reinterpret_cast<const sockaddr*>(&v4), sizeof(v4));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("127.0.0.1:443"), std::string::npos) << *why;
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(443);
  inet_pton(AF_INET6, "::ffff:169.254.169.254", &v6.sin6_addr);
  EXPECT_TRUE(policy.refusal(reinterpret_cast<const sockaddr*>(&v6), sizeof(v6)).has_value());
  inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
  EXPECT_FALSE(policy.refusal(reinterpret_cast<const sockaddr*>(&v6), sizeof(v6)).has_value());
  sockaddr unix_like{};
  unix_like.sa_family = AF_UNIX;
  EXPECT_TRUE(policy.refusal(&unix_like, sizeof(unix_like)).has_value());
}

}  // namespace
}  // namespace ferry::core
