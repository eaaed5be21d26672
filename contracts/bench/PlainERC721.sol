// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title PlainERC721
/// @notice The benchmark's floor for goods tokens: OpenZeppelin's ERC-721 with no restrictions at all
/// and a mint anyone may call, compiled with the same compiler and settings as Kabuto's goods tokens so
/// that the gas ratio compares code, not builds.
contract PlainERC721 is ERC721 {
    constructor(string memory name_, string memory symbol_) ERC721(name_, symbol_) {}

    /// @notice Mints token `tokenId` to `to`; anyone may call it (a benchmark baseline, never deployed
    /// for use).
    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}
