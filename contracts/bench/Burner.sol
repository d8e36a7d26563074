// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// Worst cases for the time a block's gas takes: each function spends all the gas it is given.
contract Burner {
    uint256 public sink;
    mapping(uint256 => uint256) public store;

    /// Cheap arithmetic and jumps: the most instructions per unit of gas.
    function spin() external {
        uint256 x = 1;
        while (gasleft() > 5000) {
            unchecked {
                x = x * 3 + 1;
            }
        }
        sink = x;
    }

    /// keccak256 of 64 bytes, over and over.
    function hashes() external {
        bytes32 h;
        while (gasleft() > 5000) h = keccak256(abi.encode(h, h));
        sink = uint256(h);
    }

    /// BALANCE of addresses never touched before: a cold state read each (2,600 gas).
    function coldBalances() external {
        uint256 s;
        uint160 a = uint160(uint256(blockhash(block.number - 1)));
        while (gasleft() > 5000) {
            unchecked {
                s += address(a++).balance;
            }
        }
        sink = s;
    }

    /// SLOAD of slots never read before: a cold storage read each (2,100 gas).
    function coldLoads() external {
        uint256 s;
        uint256 k = block.number << 128;
        while (gasleft() > 5000) {
            unchecked {
                s += store[k++];
            }
        }
        sink = s;
    }

    /// SSTORE of new slots (22,100 gas each): the most new trie entries per unit of gas.
    function newSlots() external {
        uint256 k = block.number << 128;
        while (gasleft() > 30000) {
            unchecked {
                store[k++] = 1;
            }
        }
    }
}
