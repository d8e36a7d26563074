// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

contract Child {
    uint256 public born = block.number;

    function poke(uint256 v) external {
        born = v;
    }
}

contract Ephemeral {
    constructor(address payable to) payable {
        selfdestruct(to);
    }
}

/// Storage writes, clears, logs, nested calls that fail, CREATE2, value, hashing, self-destruct:
/// the differential test calls these at random.
contract Fuzz {
    mapping(uint256 => uint256) public store;
    event E(uint256 indexed k, uint256 v);

    constructor() payable {}

    function set(uint256 k, uint256 v) external {
        store[k] = v;
        emit E(k, v);
    }

    function clear(uint256 k) external {
        delete store[k];
    }

    function bump(uint256 k) external payable {
        store[k] += msg.value + 1;
    }

    function fail(uint256 k) external {
        store[k] = 1;
        revert("fail");
    }

    function nested(address other, uint256 k, bool failInner) external {
        store[k] = k + 7;
        try Fuzz(other).maybeFail(k, failInner) {} catch {}
    }

    function maybeFail(uint256 k, bool f) external {
        store[k + 1] = k;
        emit E(k, 0);
        if (f) revert("inner");
    }

    function spawn(bytes32 salt) external returns (address c) {
        c = address(new Child{salt: salt}());
        Child(c).poke(uint256(salt) & 0xff);
    }

    function pay(address payable to, uint256 amount) external {
        (bool ok, ) = to.call{value: amount}("");
        store[0] += ok ? 1 : 2;
    }

    function burn(uint256 n) external returns (bytes32 h) {
        for (uint256 i = 0; i < n; i++) h = keccak256(abi.encode(h, i));
        store[n] = uint256(h);
    }

    function ephemeral(address payable to) external payable {
        new Ephemeral{value: msg.value}(to);
    }

    function hashes(bytes calldata data) external returns (bytes32 a, bytes20 b) {
        a = sha256(data);
        b = ripemd160(data);
        store[uint256(a) % 7] = uint256(uint160(b));
    }
}
