"""Anti-DoS headers sync for low-work chains: download a peer's headers twice
(src/headerssync.{h,cpp}).

A peer's headers chain that is not yet known to reach our work threshold must not be stored:
serving us cheap low-work headers would otherwise be a cheap way to fill our memory. So the
headers are downloaded twice. In PRESYNC, the work is added up as headers arrive (checking only
proof of work and difficulty transitions), keeping one salted 1-bit commitment every
HEADER_COMMITMENT_PERIOD headers. Once the work suffices, REDOWNLOAD fetches the same headers
again, checks them against the commitments, and releases them for validation only with
REDOWNLOAD_BUFFER_SIZE verified headers on top, so a peer cannot swap in a different chain.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from common.chain import MAX_FUTURE_BLOCK_TIME, CBlockIndex, LocatorEntries
from common.chainparams import Consensus
from common.clock import NodeClock
from common.logging import BCLog, LogDebug
from common.nodeid import NodeId
from common.pow import GetBlockProof, PermittedDifficultyTransition
from common.primitives.block import CBlockHeader, CBlockLocator
from common.random import FastRandomContext
from common.siphash import SipHashUint256
from common.uint256 import ZERO, uint256

# The two constants below are computed with upstream's contrib/devtools/headerssync-params.py.

#: Store one header commitment per HEADER_COMMITMENT_PERIOD blocks.
HEADER_COMMITMENT_PERIOD: Final = 632
#: Only feed headers to validation once this many headers on top have been received and
#: validated against commitments (15009/632 = ~23.7 commitments).
REDOWNLOAD_BUFFER_SIZE: Final = 15009


@dataclass(slots=True)
class CompressedHeader:
    """A block header without its prevhash, as the redownload buffer keeps it."""

    nVersion: int = 0
    hashMerkleRoot: uint256 = ZERO
    nTime: int = 0
    nBits: int = 0
    nNonce: int = 0

    @classmethod
    def FromHeader(cls, header: CBlockHeader) -> CompressedHeader:
        return cls(
            header.nVersion, header.hashMerkleRoot, header.nTime, header.nBits, header.nNonce
        )

    def GetFullHeader(self, hash_prev_block: uint256) -> CBlockHeader:
        return CBlockHeader(
            self.nVersion, hash_prev_block, self.hashMerkleRoot, self.nTime, self.nBits, self.nNonce
        )


class SaltedUint256Hasher:
    """util/hasher.h: SipHash of a uint256 under a random key."""

    __slots__ = ("k0", "k1")

    k0: int
    k1: int

    def __init__(self) -> None:
        rng = FastRandomContext()
        self.k0 = rng.rand64()
        self.k1 = rng.rand64()

    def __call__(self, hash: uint256) -> int:
        return SipHashUint256(self.k0, self.k1, hash)


class HeadersSyncState:
    """One peer's download-twice headers sync (see the module docstring)."""

    class State(enum.Enum):
        #: The peer has not yet demonstrated their chain has sufficient work; we only build
        #: commitments to the chain they serve us.
        PRESYNC = 0
        #: The peer gave us a high-enough-work chain; we redownload the headers we saw before
        #: and try to accept them.
        REDOWNLOAD = 1
        #: We're done syncing with this peer and can discard any remaining state.
        FINAL = 2

    @dataclass(slots=True)
    class ProcessingResult:
        """What ProcessNextHeaders returns."""

        #: Headers the caller can fully process and validate now (they are on a chain with
        #: sufficient work).
        pow_validated_headers: list[CBlockHeader] = field(default_factory=list)
        #: False if an error was detected and the sync aborted.
        success: bool = False
        #: Whether the caller should send a getheaders with NextHeadersRequestLocator().
        request_more: bool = False

    __slots__ = (
        "m_chain_start",
        "m_commit_offset",
        "m_consensus_params",
        "m_current_chain_work",
        "m_current_height",
        "m_download_state",
        "m_hasher",
        "m_header_commitments",
        "m_id",
        "m_last_header_received",
        "m_max_commitments",
        "m_minimum_required_work",
        "m_process_all_remaining_headers",
        "m_redownload_buffer_first_prev_hash",
        "m_redownload_buffer_last_hash",
        "m_redownload_buffer_last_height",
        "m_redownload_chain_work",
        "m_redownloaded_headers",
    )

    #: The (secret) offset on the heights for which to create commitments: a commitment at
    #: every height h with h % HEADER_COMMITMENT_PERIOD == m_commit_offset.
    m_commit_offset: int
    #: NodeId of the peer (used for log messages).
    m_id: NodeId
    m_consensus_params: Consensus.Params
    #: The last block in our block index that the peer's chain builds from.
    m_chain_start: CBlockIndex
    #: Minimum work that we're looking for on this chain.
    m_minimum_required_work: int
    #: Work that we've seen so far on the peer's chain.
    m_current_chain_work: int
    #: A salted hasher for our 1-bit commitments to headers we've seen.
    m_hasher: SaltedUint256Hasher
    #: Commitment bits, created during the 1st phase and verified during the 2nd.
    m_header_commitments: deque[bool]
    #: A bound on how long an honest peer's chain could be, given the MTP rule: a peer giving
    #: more headers has its sync aborted (bounds m_header_commitments' memory).
    m_max_commitments: int
    #: The latest header received while in PRESYNC (initially m_chain_start's).
    m_last_header_received: CBlockHeader
    #: Height of m_last_header_received.
    m_current_height: int
    #: Phase 2 buffers redownloaded headers until enough commitments were verified.
    m_redownloaded_headers: deque[CompressedHeader]
    #: Height of the last header in m_redownloaded_headers.
    m_redownload_buffer_last_height: int
    #: Hash of the last header in m_redownloaded_headers (a CompressedHeader has no prevhash).
    m_redownload_buffer_last_hash: uint256
    #: The hashPrevBlock of the first header in m_redownloaded_headers.
    m_redownload_buffer_first_prev_hash: uint256
    #: The accumulated work on the redownloaded chain.
    m_redownload_chain_work: int
    #: Set once the target work was reached in REDOWNLOAD: all remaining headers may go.
    m_process_all_remaining_headers: bool
    #: Current state of our headers sync.
    m_download_state: HeadersSyncState.State

    def __init__(
        self,
        id: NodeId,
        consensus_params: Consensus.Params,
        chain_start: CBlockIndex,
        minimum_required_work: int,
    ) -> None:
        """``chain_start``: the best known fork point the peer's headers branch from;
        ``minimum_required_work``: the chain work required to accept the chain."""
        self.m_commit_offset = FastRandomContext().randrange(HEADER_COMMITMENT_PERIOD)
        self.m_id = id
        self.m_consensus_params = consensus_params
        self.m_chain_start = chain_start
        self.m_minimum_required_work = minimum_required_work
        self.m_current_chain_work = chain_start.nChainWork
        self.m_hasher = SaltedUint256Hasher()
        self.m_header_commitments = deque()
        self.m_last_header_received = chain_start.GetBlockHeader()
        self.m_current_height = chain_start.nHeight
        self.m_redownloaded_headers = deque()
        self.m_redownload_buffer_last_height = 0
        self.m_redownload_buffer_last_hash = ZERO
        self.m_redownload_buffer_first_prev_hash = ZERO
        self.m_redownload_chain_work = 0
        self.m_process_all_remaining_headers = False
        self.m_download_state = HeadersSyncState.State.PRESYNC

        # Bound the blocks that could exist on the peer's chain now: 6 a second (the fastest
        # the MTP rule allows) from the chain start's median time past until now plus the
        # allowed future drift. No consensus-valid chain is longer at this time.
        seconds = NodeClock.now() // 1_000_000 - chain_start.GetMedianTimePast()
        self.m_max_commitments = 6 * (seconds + MAX_FUTURE_BLOCK_TIME) // HEADER_COMMITMENT_PERIOD

        LogDebug(
            BCLog.NET,
            "Initial headers sync started with peer=%d: height=%i, max_commitments=%i, "
            "min_work=%s\n",
            self.m_id,
            self.m_current_height,
            self.m_max_commitments,
            f"{self.m_minimum_required_work:064x}",
        )

    def GetState(self) -> HeadersSyncState.State:
        return self.m_download_state

    def GetPresyncHeight(self) -> int:
        """The height reached during the PRESYNC phase."""
        return self.m_current_height

    def GetPresyncTime(self) -> int:
        """The timestamp of the last header received during the PRESYNC phase."""
        return self.m_last_header_received.nTime

    def GetPresyncWork(self) -> int:
        """The work on the chain received during the PRESYNC phase."""
        return self.m_current_chain_work

    def Finalize(self) -> None:
        """Free the download state and mark this object unusable (so its salted hasher is
        never reused for another sync)."""
        assert self.m_download_state != HeadersSyncState.State.FINAL  # Assume upstream
        self.m_header_commitments.clear()
        self.m_last_header_received = CBlockHeader()
        self.m_redownloaded_headers.clear()
        self.m_redownload_buffer_last_hash = ZERO
        self.m_redownload_buffer_first_prev_hash = ZERO
        self.m_process_all_remaining_headers = False
        self.m_current_height = 0

        self.m_download_state = HeadersSyncState.State.FINAL

    def ProcessNextHeaders(
        self, received_headers: list[CBlockHeader], full_headers_message: bool
    ) -> HeadersSyncState.ProcessingResult:
        """Process a batch of headers (continuous, each with the proof of work its nBits
        claims). ``full_headers_message``: the message was full, so the peer may have more."""
        State = HeadersSyncState.State
        ret = HeadersSyncState.ProcessingResult()

        if not received_headers or self.m_download_state == State.FINAL:
            return ret

        if self.m_download_state == State.PRESYNC:
            # Minimally validate the headers and occasionally add commitments, until the work
            # threshold is reached (then m_download_state becomes REDOWNLOAD).
            ret.success = self.ValidateAndStoreHeadersCommitments(received_headers)
            if ret.success:
                if full_headers_message or self.GetState() == State.REDOWNLOAD:
                    # A full headers message means the peer may have more to give us; also if
                    # we just switched to REDOWNLOAD then we need to re-request headers from
                    # the beginning.
                    ret.request_more = True
                else:
                    # A non-full headers message in PRESYNC: the peer's chain has ended and
                    # definitely doesn't have enough work, so we can stop our sync.
                    LogDebug(
                        BCLog.NET,
                        "Initial headers sync aborted with peer=%d: incomplete headers message "
                        "at height=%i (presync phase)\n",
                        self.m_id,
                        self.m_current_height,
                    )
        elif self.m_download_state == State.REDOWNLOAD:
            # Compare against the stored commitments and buffer the headers; once enough
            # commitments are checked, headers are returned for processing.
            ret.success = True
            for hdr in received_headers:
                if not self.ValidateAndStoreRedownloadedHeader(hdr):
                    # The peer gave us an unexpected chain: give up on sync (without
                    # punishing, for now).
                    ret.success = False
                    break

            if ret.success:
                # Return any headers that are ready for acceptance.
                ret.pow_validated_headers = self.PopHeadersReadyForAcceptance()

                # If we hit our target blockhash, then all remaining headers will be returned
                # and we can clear any leftover internal state.
                if not self.m_redownloaded_headers and self.m_process_all_remaining_headers:
                    LogDebug(
                        BCLog.NET,
                        "Initial headers sync complete with peer=%d: releasing all at "
                        "height=%i (redownload phase)\n",
                        self.m_id,
                        self.m_redownload_buffer_last_height,
                    )
                elif full_headers_message:
                    # If the headers message is full, we need to request more.
                    ret.request_more = True
                else:
                    # The peer gave us a high-work chain but now declines to serve it again:
                    # give up (these headers still succeeded).
                    LogDebug(
                        BCLog.NET,
                        "Initial headers sync aborted with peer=%d: incomplete headers message "
                        "at height=%i (redownload phase)\n",
                        self.m_id,
                        self.m_redownload_buffer_last_height,
                    )

        if not (ret.success and ret.request_more):
            self.Finalize()
        return ret

    def ValidateAndStoreHeadersCommitments(self, headers: list[CBlockHeader]) -> bool:
        """PRESYNC: check the headers' work, store commitments, and switch to REDOWNLOAD when
        the work suffices. False aborts the sync."""
        if not headers:
            return True

        if self.m_download_state != HeadersSyncState.State.PRESYNC:
            return False

        if headers[0].hashPrevBlock != self.m_last_header_received.GetHash():
            # The headers don't connect: perhaps benign (the peer reorged away from the chain
            # it was on). Give up on this sync for now; a new one may start from a new point.
            LogDebug(
                BCLog.NET,
                "Initial headers sync aborted with peer=%d: non-continuous headers at "
                "height=%i (presync phase)\n",
                self.m_id,
                self.m_current_height,
            )
            return False

        # If it does connect, (minimally) validate and occasionally store commitments.
        for hdr in headers:
            if not self.ValidateAndProcessSingleHeader(hdr):
                return False

        if self.m_current_chain_work >= self.m_minimum_required_work:
            self.m_redownloaded_headers.clear()
            self.m_redownload_buffer_last_height = self.m_chain_start.nHeight
            self.m_redownload_buffer_first_prev_hash = self.m_chain_start.GetBlockHash()
            self.m_redownload_buffer_last_hash = self.m_chain_start.GetBlockHash()
            self.m_redownload_chain_work = self.m_chain_start.nChainWork
            self.m_download_state = HeadersSyncState.State.REDOWNLOAD
            LogDebug(
                BCLog.NET,
                "Initial headers sync transition with peer=%d: reached sufficient work at "
                "height=%i, redownloading from height=%i\n",
                self.m_id,
                self.m_current_height,
                self.m_redownload_buffer_last_height,
            )
        return True

    def ValidateAndProcessSingleHeader(self, current: CBlockHeader) -> bool:
        """PRESYNC: process and update state for a single header."""
        if self.m_download_state != HeadersSyncState.State.PRESYNC:
            return False

        next_height = self.m_current_height + 1

        # Don't let the difficulty grow faster than retargeting allows: an adversary with
        # limited hash power has better odds of a high-work chain compressed into few blocks.
        if not PermittedDifficultyTransition(
            self.m_consensus_params, next_height, self.m_last_header_received.nBits, current.nBits
        ):
            LogDebug(
                BCLog.NET,
                "Initial headers sync aborted with peer=%d: invalid difficulty transition at "
                "height=%i (presync phase)\n",
                self.m_id,
                next_height,
            )
            return False

        if next_height % HEADER_COMMITMENT_PERIOD == self.m_commit_offset:
            # Add a commitment.
            self.m_header_commitments.append(bool(self.m_hasher(current.GetHash()) & 1))
            if len(self.m_header_commitments) > self.m_max_commitments:
                # The peer's chain is too long; give up. (It may have grown since the sync
                # started, so a later attempt might succeed.)
                LogDebug(
                    BCLog.NET,
                    "Initial headers sync aborted with peer=%d: exceeded max commitments at "
                    "height=%i (presync phase)\n",
                    self.m_id,
                    next_height,
                )
                return False

        self.m_current_chain_work += GetBlockProof(current)
        self.m_last_header_received = current
        self.m_current_height = next_height

        return True

    def ValidateAndStoreRedownloadedHeader(self, header: CBlockHeader) -> bool:
        """REDOWNLOAD: check a header's commitment (if it has one) and buffer it."""
        if self.m_download_state != HeadersSyncState.State.REDOWNLOAD:
            return False

        next_height = self.m_redownload_buffer_last_height + 1

        # Ensure that we're working on a header that connects to the chain we're downloading.
        if header.hashPrevBlock != self.m_redownload_buffer_last_hash:
            LogDebug(
                BCLog.NET,
                "Initial headers sync aborted with peer=%d: non-continuous headers at "
                "height=%i (redownload phase)\n",
                self.m_id,
                next_height,
            )
            return False

        # Check that the difficulty adjustments are within our tolerance:
        if self.m_redownloaded_headers:
            previous_nBits = self.m_redownloaded_headers[-1].nBits
        else:
            previous_nBits = self.m_chain_start.nBits

        if not PermittedDifficultyTransition(
            self.m_consensus_params, next_height, previous_nBits, header.nBits
        ):
            LogDebug(
                BCLog.NET,
                "Initial headers sync aborted with peer=%d: invalid difficulty transition at "
                "height=%i (redownload phase)\n",
                self.m_id,
                next_height,
            )
            return False

        # Track work on the redownloaded chain
        self.m_redownload_chain_work += GetBlockProof(header)

        if self.m_redownload_chain_work >= self.m_minimum_required_work:
            self.m_process_all_remaining_headers = True

        # At a height with a stored commitment, verify it. Not once the target is reached: the
        # peer may have extended its chain since the first download, and running out of
        # commitments then is no failure.
        if (
            not self.m_process_all_remaining_headers
            and next_height % HEADER_COMMITMENT_PERIOD == self.m_commit_offset
        ):
            if not self.m_header_commitments:
                # The peer managed to feed us a different chain and we ran out of commitments.
                LogDebug(
                    BCLog.NET,
                    "Initial headers sync aborted with peer=%d: commitment overrun at "
                    "height=%i (redownload phase)\n",
                    self.m_id,
                    next_height,
                )
                return False
            commitment = bool(self.m_hasher(header.GetHash()) & 1)
            expected_commitment = self.m_header_commitments.popleft()
            if commitment != expected_commitment:
                LogDebug(
                    BCLog.NET,
                    "Initial headers sync aborted with peer=%d: commitment mismatch at "
                    "height=%i (redownload phase)\n",
                    self.m_id,
                    next_height,
                )
                return False

        # Store this header for later processing.
        self.m_redownloaded_headers.append(CompressedHeader.FromHeader(header))
        self.m_redownload_buffer_last_height = next_height
        self.m_redownload_buffer_last_hash = header.GetHash()

        return True

    def PopHeadersReadyForAcceptance(self) -> list[CBlockHeader]:
        """The buffered headers with enough verified commitments on top (all of them once the
        target work was reached)."""
        ret: list[CBlockHeader] = []

        if self.m_download_state != HeadersSyncState.State.REDOWNLOAD:
            return ret

        while len(self.m_redownloaded_headers) > REDOWNLOAD_BUFFER_SIZE or (
            self.m_redownloaded_headers and self.m_process_all_remaining_headers
        ):
            ret.append(
                self.m_redownloaded_headers.popleft().GetFullHeader(
                    self.m_redownload_buffer_first_prev_hash
                )
            )
            self.m_redownload_buffer_first_prev_hash = ret[-1].GetHash()
        return ret

    def NextHeadersRequestLocator(self) -> CBlockLocator:
        """The locator for the next getheaders, continuing the current phase."""
        if self.m_download_state == HeadersSyncState.State.FINAL:
            return CBlockLocator()

        chain_start_locator = LocatorEntries(self.m_chain_start)
        locator: list[uint256] = []

        if self.m_download_state == HeadersSyncState.State.PRESYNC:
            # During pre-synchronization, we continue from the last header received.
            locator.append(self.m_last_header_received.GetHash())

        if self.m_download_state == HeadersSyncState.State.REDOWNLOAD:
            # During redownload, we will download from the last received header that we stored.
            locator.append(self.m_redownload_buffer_last_hash)

        locator.extend(chain_start_locator)

        return CBlockLocator(locator)
