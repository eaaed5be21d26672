// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {Roles} from "../access/Roles.sol";
import {ITradingCalendar} from "./ITradingCalendar.sol";

/// @title TradingCalendar
/// @notice See {ITradingCalendar}.
/// @dev 1970-01-01 was a Thursday, so `(day + 3) % 7` is 0 on Mondays and 5, 6 on weekends. Counting
/// steps over days one at a time: business days are at most a few days apart (the longest XTKS gap,
/// the year end, is six days), so a count of n costs a few n storage reads.
contract TradingCalendar is ITradingCalendar, AccessControl {
    /// @notice The CCP: publishes the calendar.
    bytes32 public constant CCP_OPERATOR_ROLE = Roles.CCP_OPERATOR;

    uint256 private constant _TOKYO_OFFSET = 9 hours;

    mapping(uint32 day => bool) private _holiday;
    uint32 private _first;
    uint32 private _last;

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.CCP_OPERATOR, admin);
    }

    /// @inheritdoc ITradingCalendar
    function publish(uint32 from, uint32 through, uint32[] calldata holidays) external onlyRole(Roles.CCP_OPERATOR) {
        uint32 expected = _last == 0 ? from : _last + 1;
        if (from == 0 || from != expected || through < from) revert CalendarRangeInvalid(from, through, expected);
        uint32 previous = 0;
        for (uint256 i; i < holidays.length; ++i) {
            uint32 day = holidays[i];
            if (day < from || day > through || day <= previous || _weekend(day)) {
                revert CalendarRangeInvalid(from, through, expected);
            }
            _holiday[day] = true;
            previous = day;
        }
        if (_first == 0) _first = from;
        _last = through;
        emit CalendarPublished(from, through, holidays);
    }

    /// @inheritdoc ITradingCalendar
    function published() external view returns (uint32 first, uint32 last) {
        return (_first, _last);
    }

    /// @inheritdoc ITradingCalendar
    function dayOf(uint256 timestamp) public pure returns (uint32) {
        return uint32((timestamp + _TOKYO_OFFSET) / 1 days);
    }

    /// @inheritdoc ITradingCalendar
    function timeOn(uint32 day, uint32 secondsIntoDay) external pure returns (uint64) {
        return uint64(uint256(day) * 1 days + secondsIntoDay - _TOKYO_OFFSET);
    }

    /// @inheritdoc ITradingCalendar
    function isBusinessDay(uint32 day) public view returns (bool) {
        _requirePublished(day);
        return !_weekend(day) && !_holiday[day];
    }

    /// @inheritdoc ITradingCalendar
    function addBusinessDays(uint32 day, uint256 count) external view returns (uint32) {
        if (count == 0) revert CalendarCountInvalid(day, count);
        _requirePublished(day);
        uint32 d = day;
        for (uint256 found; found < count;) {
            if (d >= _last) revert CalendarCountInvalid(day, count);
            ++d;
            if (!_weekend(d) && !_holiday[d]) ++found;
        }
        return d;
    }

    /// @inheritdoc ITradingCalendar
    function subBusinessDays(uint32 day, uint256 count) external view returns (uint32) {
        if (count == 0) revert CalendarCountInvalid(day, count);
        _requirePublished(day);
        uint32 d = day;
        for (uint256 found; found < count;) {
            if (d <= _first) revert CalendarCountInvalid(day, count);
            --d;
            if (!_weekend(d) && !_holiday[d]) ++found;
        }
        return d;
    }

    /// @inheritdoc ITradingCalendar
    function chargeDays(uint32 day) external view returns (uint256 days_) {
        _requirePublished(day);
        days_ = 1;
        uint32 d = day + 1;
        while (true) {
            if (d > _last) revert CalendarCountInvalid(day, 1);
            if (!_weekend(d) && !_holiday[d]) return days_;
            ++days_;
            ++d;
        }
    }

    function _weekend(uint32 day) private pure returns (bool) {
        return (uint256(day) + 3) % 7 >= 5;
    }

    function _requirePublished(uint32 day) private view {
        if (day < _first || day > _last || _first == 0) revert CalendarNotPublished(day, _first, _last);
    }
}
