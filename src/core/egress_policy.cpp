#include "core/egress_policy.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

#include "core/error.h"

namespace ferry::core {
namespace {

using Address = std::array<uint8_t, 16>;

[[noreturn]] void malformed(std::string_view text, const std::string& why) {
  throw FerryError(ErrorCategory::kConfigInvalid, "egress rule '" + std::string(text) + "': " + why);
}

Address mapped(const in_addr& v4) {
  Address out{};
  out[10] = out[11] = 0xff;
  std::memcpy(out.data() + 12, &v4, 4);
  return out;
}

Address of_v6(const in6_addr& v6) {
  Address out{};
  std::memcpy(out.data(), &v6, 16);
  return out;
}

bool is_mapped_v4(const Address& a) {
  for (int i = 0; i < 10; ++i) {
    if (a[i] != 0) return false;
  }
  return a[10] == 0xff && a[11] == 0xff;
}

// "127.0.0.1:8080", "[::1]:8080": how an address shows in messages.
std::string show(const Address& a, uint16_t port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_mapped_v4(a)) {
    inet_ntop(AF_INET, a.data() + 12, text, sizeof(text));
    return std::string(text) + ":" + std::to_string(port);
  }
  inet_ntop(AF_INET6, a.data(), text, sizeof(text));
  return "[" + std::string(text) + "]:" + std::to_string(port);
}

// An IPv4 or IPv6 literal as a mapped address; `v4` says which it was.
std::optional<Address> parse_ip(const std::string& text, bool& v4) {
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    v4 = true;
    return mapped(a4);
  }
  if (inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    v4 = false;
    return of_v6(a6);
  }
  return std::nullopt;
}

template <typename Int>
std::optional<Int> parse_number(std::string_view text, Int low, Int high) {
  Int value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high)
    return std::nullopt;
  return value;
}

EgressRule host_rule(const Address& a, std::optional<uint16_t> port, std::string text) {
  EgressRule rule;
  rule.network = a;
  rule.prefix_bits = 128;
  rule.port = port;
  rule.text = std::move(text);
  return rule;
}

// The default denies, each with the name a refusal gives.
struct DefaultDeny {
  const char* cidr;
  const char* what;
};
constexpr DefaultDeny kDefaultDenies[] = {
    {"127.0.0.0/8", "loopback"},  {"::1/128", "loopback"},      {"169.254.0.0/16", "link-local"},
    {"fe80::/10", "link-local"},  {"0.0.0.0/8", "unspecified"}, {"::/128", "unspecified"},
    {"224.0.0.0/4", "multicast"}, {"ff00::/8", "multicast"},    {"255.255.255.255/32", "broadcast"},
};

}  // namespace

EgressRule EgressRule::parse(std::string_view text) {
  std::string_view rest = text;
  std::string address_text;
  std::optional<std::string_view> prefix_text;
  std::optional<std::string_view> port_text;
  if (rest.starts_with('[')) {  // "[v6]", "[v6]/n", "[v6]:port", "[v6]/n:port"
    const auto close = rest.find(']');
    if (close == std::string_view::npos) malformed(text, "missing ']'");
    address_text = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    if (rest.starts_with('/')) {
      prefix_text = rest.substr(1);
    } else if (!rest.empty()) {
      malformed(text, "unexpected text after ']'");
    }
  } else {
    const bool v6 = std::count(rest.begin(), rest.end(), ':') > 1;
    if (!v6) {  // "a.b.c.d", "a.b.c.d/n", "a.b.c.d:port", "a.b.c.d/n:port"
      if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
        port_text = rest.substr(colon + 1);
        rest = rest.substr(0, colon);
      }
    }
    const auto slash = rest.find('/');
    if (slash != std::string_view::npos) prefix_text = rest.substr(slash + 1);
    address_text = std::string(rest.substr(0, slash));
  }
  bool v4 = false;
  const auto address = parse_ip(address_text, v4);
  if (!address) malformed(text, "'" + address_text + "' is not an IPv4 or IPv6 address");
  EgressRule rule;
  rule.network = *address;
  rule.text = std::string(text);
  const int width = v4 ? 32 : 128;
  rule.prefix_bits = 128;
  if (prefix_text) {
    const auto bits = parse_number<int>(*prefix_text, 0, width);
    if (!bits) malformed(text, "the prefix length must be 0-" + std::to_string(width));
    rule.prefix_bits = *bits + (v4 ? 96 : 0);
  }
  if (port_text) {
    const auto port = parse_number<uint16_t>(*port_text, 1, 65535);
    if (!port) malformed(text, "the port must be 1-65535");
    rule.port = *port;
  }
  // Bits beyond the prefix are ignored when matching; clear them so equal rules compare equal.
  for (int bit = rule.prefix_bits; bit < 128; ++bit) {
    rule.network[static_cast<size_t>(bit / 8)] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  return rule;
}

bool EgressRule::matches(const std::array<uint8_t, 16>& address, uint16_t port_number) const {
  if (port && *port != port_number) return false;
  const int whole = prefix_bits / 8;
  if (std::memcmp(address.data(), network.data(), static_cast<size_t>(whole)) != 0) return false;
  const int remaining = prefix_bits % 8;
  if (remaining == 0) return true;
  const auto mask = static_cast<uint8_t>(0xffu << (8 - remaining));
  return (address[static_cast<size_t>(whole)] & mask) == (network[static_cast<size_t>(whole)] & mask);
}

EgressPolicy EgressPolicy::defaults() {
  EgressPolicy policy;
  for (const auto& deny : kDefaultDenies) {
    EgressRule rule = EgressRule::parse(deny.cidr);
    rule.text = std::string(deny.what) + ", " + deny.cidr;
    policy.default_deny_.push_back(std::move(rule));
  }
  return policy;
}

EgressPolicy EgressPolicy::allow_all() {
  return EgressPolicy();
}

void EgressPolicy::allow(std::string_view cidr) {
  allow_.push_back(EgressRule::parse(cidr));
}

void EgressPolicy::deny(std::string_view cidr) {
  deny_.push_back(EgressRule::parse(cidr));
}

void EgressPolicy::deny_own_listener(std::string_view host, uint16_t port) {
  const std::string what = "ferry's own API listener";
  const auto add = [&](const Address& a) { own_listener_.push_back(host_rule(a, port, what)); };
  const auto add_rule = [&](const char* cidr) {
    EgressRule rule = EgressRule::parse(cidr);
    rule.port = port;
    rule.text = what;
    own_listener_.push_back(std::move(rule));
  };
  // Connecting to the unspecified address reaches the local host: always the listener's too.
  add_rule("0.0.0.0/8");
  add_rule("::/128");
  std::string name(host);
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  bool v4 = false;
  const auto literal = parse_ip(name, v4);
  const bool everywhere =
      name.empty() || (literal && (*literal == mapped(in_addr{}) || *literal == Address{}));
  bool loopback = everywhere;
  if (!everywhere) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(name.c_str(), nullptr, &hints, &found) == 0) {
      const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, &freeaddrinfo);
      for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        Address a{};
        if (ai->ai_family == AF_INET)
          a = mapped(reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr);
        else if (ai->ai_family == AF_INET6)
          a = of_v6(reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr);
        else
          continue;
        add(a);
        const bool v4_loopback = is_mapped_v4(a) && a[12] == 127;
        loopback = loopback || v4_loopback || a == of_v6(in6addr_loopback);
      }
    } else if (literal) {
      add(*literal);
    }
  }
  if (loopback) {
    add_rule("127.0.0.0/8");
    add_rule("::1/128");
  }
  if (!everywhere) return;
  // Bound to every interface: each local address reaches it.
  ifaddrs* interfaces = nullptr;
  if (getifaddrs(&interfaces) != 0) return;
  const std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> owned(interfaces, &freeifaddrs);
  for (const ifaddrs* i = interfaces; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET)
      add(mapped(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr));
    if (i->ifa_addr->sa_family == AF_INET6)
      add(of_v6(reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr));
  }
}

std::optional<std::string> EgressPolicy::refusal(const sockaddr* address, socklen_t length) const {
  if (address != nullptr && address->sa_family == AF_INET &&
      length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return refusal_of(mapped(in->sin_addr), ntohs(in->sin_port));
  }
  if (address != nullptr && address->sa_family == AF_INET6 &&
      length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    return refusal_of(of_v6(in6->sin6_addr), ntohs(in6->sin6_port));
  }
  return "the operator's egress policy refuses a connection that is not to an IP address";
}

std::optional<std::string> EgressPolicy::refusal(std::string_view ip, uint16_t port) const {
  bool v4 = false;
  const auto address = parse_ip(std::string(ip), v4);
  if (!address) return "the operator's egress policy refuses '" + std::string(ip) + "': not an IP address";
  return refusal_of(*address, port);
}

std::optional<std::string> EgressPolicy::refusal_of(const std::array<uint8_t, 16>& address,
                                                    uint16_t port) const {
  const auto refused = [&](const std::string& why) {
    return "the operator's egress policy refuses " + show(address, port) + " (" + why + ")";
  };
  for (const auto& rule : own_listener_) {
    if (rule.matches(address, port)) return refused(rule.text);
  }
  for (const auto& rule : deny_) {
    if (rule.matches(address, port)) return refused("deny_egress " + rule.text);
  }
  for (const auto& rule : allow_) {
    if (rule.matches(address, port)) return std::nullopt;
  }
  for (const auto& rule : default_deny_) {
    if (rule.matches(address, port)) return refused(rule.text + "; not in allow_egress");
  }
  return std::nullopt;
}

}  // namespace ferry::core
