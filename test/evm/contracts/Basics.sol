// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// A counter with events, a revert with a reason, a custom error and a self-destructing child.
contract Counter {
    uint256 public count;
    mapping(address => uint256) public byCaller;

    event Counted(address indexed by, uint256 count);
    error TooLarge(uint256 limit, uint256 value);

    constructor(uint256 start) payable {
        count = start;
    }

    function increment() external returns (uint256) {
        count += 1;
        byCaller[msg.sender] += 1;
        emit Counted(msg.sender, count);
        return count;
    }

    function add(uint256 n) external {
        if (n > 1000) revert TooLarge(1000, n);
        require(n != 13, "unlucky number");
        count += n;
    }

    function reset() external {
        count = 0;
        byCaller[msg.sender] = 0;
    }

    function burn(uint256 rounds) external view returns (bytes32 h) {
        h = bytes32(count);
        for (uint256 i = 0; i < rounds; i++) h = keccak256(abi.encode(h, i));
    }
}

contract Factory {
    event Made(address child);

    function make(bytes32 salt, uint256 start) external returns (address a) {
        a = address(new Counter{salt: salt}(start));
        emit Made(a);
    }

    function makeAndRevert(uint256 start) external {
        new Counter(start);
        revert("made, then reverted");
    }
}

contract Ephemeral {
    constructor(address payable to) payable {
        selfdestruct(to);
    }
}
