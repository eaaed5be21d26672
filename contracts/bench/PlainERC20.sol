// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title PlainERC20
/// @notice The benchmark's floor: OpenZeppelin's ERC-20 with no restrictions at all, compiled with
/// the same compiler and settings as Kabuto's tokens so that the gas ratio compares code, not builds.
contract PlainERC20 is ERC20 {
    constructor(string memory name_, string memory symbol_, address holder, uint256 supply) ERC20(name_, symbol_) {
        _mint(holder, supply);
    }
}
