// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// An OpenZeppelin ERC-20 with a fixed supply minted to its deployer.
contract TestToken is ERC20 {
    constructor(uint256 supply) ERC20("Test Token", "TT") {
        _mint(msg.sender, supply);
    }
}

/// An OpenZeppelin ERC-721 anyone can mint from.
contract TestNft is ERC721 {
    uint256 public next;

    constructor() ERC721("Test NFT", "TNFT") {}

    function mint(address to) external returns (uint256 id) {
        id = ++next;
        _safeMint(to, id);
    }
}

/// Fails in the ways clients must report: a reason, a custom error, a panic, no data.
contract Reverter {
    error Denied(address who, uint256 code);

    function withReason() external pure {
        revert("nope: not today");
    }

    function withCustom() external view {
        revert Denied(msg.sender, 42);
    }

    function withPanic(uint256 d) external pure returns (uint256) {
        return 10 / d;
    }

    function bare() external pure {
        revert();
    }
}

interface IStaking {
    function lock(uint256 amount, address candidate) external returns (uint256 lockId);

    function vote(uint256 lockId, address candidate) external;

    function claim(uint256 lockId) external returns (uint256 amount);

    function getLocks(address owner) external view returns (uint256[] memory lockIds);
}

/// Liquid staking through the staking system contract: deposits mint shares 1:1, the contract
/// locks its balance and votes with it, and claims the rewards, all as msg.sender = this contract.
contract LiquidStaking is ERC20 {
    IStaking public constant STAKING = IStaking(0xE7a0000000000000000000000000000000000001);
    uint256 public lockId;
    uint256 public claimed;

    event Staked(uint256 lockId, uint256 amount);
    event Claimed(uint256 amount);

    constructor() ERC20("Liquid ETM", "lETM") {}

    function deposit() external payable {
        _mint(msg.sender, msg.value);
    }

    function stake(address candidate) external returns (uint256 id) {
        uint256 amount = address(this).balance;
        id = STAKING.lock(amount, candidate);
        lockId = id;
        emit Staked(id, amount);
    }

    function revote(address candidate) external {
        STAKING.vote(lockId, candidate);
    }

    function claim() external returns (uint256 amount) {
        amount = STAKING.claim(lockId);
        claimed += amount;
        emit Claimed(amount);
    }

    /// Locks, then reverts: the lock must be undone with the frame.
    function stakeThenFail(address candidate) external {
        STAKING.lock(address(this).balance, candidate);
        revert("undo the lock");
    }

    /// A lock made in a frame that reverts, inside a call that goes on: only that frame undone.
    function stakeInChild(address candidate) external returns (bool ok) {
        (ok, ) = address(this).call(abi.encodeCall(this.stakeThenFail, (candidate)));
    }
}
