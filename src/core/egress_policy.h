// core/egress_policy: which network addresses a tenant's configuration may make ferry connect to. Checked on
// the address actually connected (after DNS, after redirects), never on a host name. The operator sets it;
// tenants cannot.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::core {

// One CIDR block, optionally narrowed to one port: "10.0.0.0/8", "127.0.0.1/32:5432", "[::1]/128:8080".
struct EgressRule {
  std::array<uint8_t, 16> network{};  // IPv4 as IPv4-mapped IPv6
  int prefix_bits = 0;                // over the 128-bit mapped address
  std::optional<uint16_t> port;
  std::string text;  // as the operator wrote it, for messages

  // Throws core::FerryError(kConfigInvalid) naming the text when malformed.
  static EgressRule parse(std::string_view text);
  bool matches(const std::array<uint8_t, 16>& address, uint16_t port) const;
};

class EgressPolicy {
 public:
  // Denies loopback, link-local (with the cloud metadata address), unspecified and multicast; allows the
  // rest.
  static EgressPolicy defaults();
  // Allows everything except ferry's own listener (for tests that need no policy at all).
  static EgressPolicy allow_all();

  void allow(std::string_view cidr);  // wins over the default denies, never over `deny` or the own listener
  void deny(std::string_view cidr);   // wins over everything
  // ferry's own API listener: never reachable, whatever is allowed. An unspecified host (0.0.0.0, ::) denies
  // the port on every local address.
  void deny_own_listener(std::string_view host, uint16_t port);

  // nullopt when ferry may connect to `address`; otherwise why not, as a sentence for an error message
  // ("the operator's egress policy refuses 127.0.0.1:8080 (loopback, 127.0.0.0/8; not in allow_egress)").
  std::optional<std::string> refusal(const sockaddr* address, socklen_t length) const;
  std::optional<std::string> refusal(std::string_view ip, uint16_t port) const;

 private:
  // Order: the own listener, then `deny`, then `allow`, then the default denies.
  std::optional<std::string> refusal_of(const std::array<uint8_t, 16>& address, uint16_t port) const;

  std::vector<EgressRule> default_deny_;
  std::vector<EgressRule> allow_;
  std::vector<EgressRule> deny_;
  std::vector<EgressRule> own_listener_;
};

}  // namespace ferry::core
