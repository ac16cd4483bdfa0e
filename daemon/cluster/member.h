// One instance's membership in the consumer group that shares the sources out (issue 21,
// docs/operations.md "Running several instances"). The group's assignment unit is the state
// topic's partitions: a source belongs to state::partition_of(its name), and the instance
// that owns that partition polls it. Kafka's group protocol decides who owns what, with the
// cooperative-sticky assignor: a rebalance moves only the partitions that change owner, and
// the others are never revoked.
//
// The member never reads records: it subscribes to the state topic only to take part in the
// group, pauses every partition it is given, and drops whatever a fetch returns before the
// pause. Restoring a partition's state is the state store's job (KafkaStore::assign).
//
// Hand-over: an assignment is told to the listener and the member goes on. A revocation is
// told to the listener with a `done` to call once the instance let go of the partitions (no
// poll of their sources under way, the commit batch flushed); the member finishes the
// rebalance only then, or after options.release_timeout, so the next owner cannot start
// polling a source this instance still polls.
//
// Thread-safety: the member runs its own thread (librdkafka calls the rebalance callback
// from rd_kafka_consumer_poll there). Listener calls are handed to `post`, which runs them on
// the owner's thread (the event loop); `done` may be called from any thread, at most once
// matters. leave() and the destructor are the owner's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "state/kafka_options.h"
#include "state/writer.h"

namespace newsd::cluster {

using Partitions = std::vector<std::int32_t>;

// What the instance does when the group changes what it owns. Called on the owner's thread.
class OwnershipListener {
 public:
  virtual ~OwnershipListener() = default;
  // The instance owns `partitions` from now on, besides those it had. The first assignment
  // is told even when empty (the instance joined and has nothing to do).
  virtual void on_assigned(const Partitions& partitions) = 0;
  // The instance must let go of `partitions`, then call `done` (once). `lost`: the group
  // already gave them to another member (this one missed its session timeout), so whatever
  // it still commits may race the new owner.
  virtual void on_revoked(const Partitions& partitions, bool lost, std::function<void()> done) = 0;
};

struct MemberOptions {
  // brokers, topic (the state topic) and the librdkafka properties every client gets.
  state::KafkaStateOptions state;
  std::string group;     // group.id
  std::string instance;  // group.instance.id (static membership); empty: a dynamic member
  std::chrono::milliseconds session_timeout{10'000};
  // How long a revocation waits for the listener's `done` before the member gives the
  // partitions up anyway (the group cannot wait for ever: max.poll.interval.ms).
  std::chrono::milliseconds release_timeout{30'000};
  // Posted once when the member failed for good (librdkafka's fatal consumer error: another
  // process joined with this group.instance.id). Without it the error is only logged.
  std::function<void(const std::string&)> on_fatal;
};

// The librdkafka settings of the member's consumer, besides bootstrap.servers and the
// state's properties (which they override).
std::vector<std::pair<std::string, std::string>> member_settings(const MemberOptions& options);

// Runs `f` on the owner's thread (boost::asio::post on the event loop, for example).
using Post = std::function<void(std::function<void()>)>;

class Member final : public state::GroupFence {
 public:
  // Creates the consumer and joins the group (asynchronously: the first assignment comes
  // through the listener). Throws state::StateTopicError when the consumer cannot be made
  // (a property librdkafka rejects) or subscribing fails. `listener` outlives the member.
  Member(MemberOptions options, OwnershipListener& listener, Post post);
  // Leaves the group if leave() was not called, waiting at most release_timeout for the
  // listener (whose posts may no longer run).
  ~Member() override;
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;

  // Leaves the group: the partitions owned are revoked through the listener (which must
  // still run posts), then `left` is posted. A static member's partitions stay its own
  // until session_timeout passes (a quick restart takes them back without a rebalance).
  void leave(std::function<void()> left);

  // Rebalances that changed what this instance owns (assignments and revocations).
  std::uint64_t rebalances() const { return rebalances_.load(); }
  // Not thread-safe with the member's thread: a copy made under the member's lock.
  Partitions owned() const;

  // KIP-447 (state::GroupFence): adds this member's group metadata and an offset for each
  // partition it owns to `producer`'s transaction, so the coordinator refuses the commit if
  // the group moved on (a rebalance this member missed, or another process with its
  // group.instance.id). Owning nothing: nothing to fence, no error. Any thread.
  rd_kafka_error_t* send_offsets(rd_kafka_t* producer, int timeout_ms) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<std::uint64_t> rebalances_{0};
};

}  // namespace newsd::cluster
