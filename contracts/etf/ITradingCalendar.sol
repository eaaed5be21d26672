// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ITradingCalendar
/// @notice The exchange's business days (XTKS: weekdays that are not holidays), as the CCP publishes
/// them, so that contracts can count business days: the statement date of an ETF application, its
/// T+2 settlement day, the listing window of article 46-2, and the days a late charge covers.
/// @dev A day is a Tokyo calendar date counted in days since 1970-01-01 (`dayOf` turns a unix time
/// into one: Tokyo is UTC+9 all year). The CCP publishes the calendar in contiguous ranges with the
/// holidays (weekdays the exchange is closed) of each range; any question about a day outside the
/// published range is refused with `CalendarNotPublished` rather than guessed.
interface ITradingCalendar {
    /// @notice Day `day` is outside the published calendar (`first`..`last`).
    error CalendarNotPublished(uint32 day, uint32 first, uint32 last);
    /// @notice A range to publish must start the day after the last published day (`expected`), end
    /// on or after its start, and list its holidays in increasing order, each a weekday in the range.
    error CalendarRangeInvalid(uint32 from, uint32 through, uint32 expected);
    /// @notice Counting `count` business days from `day` would leave the published calendar.
    error CalendarCountInvalid(uint32 day, uint256 count);

    /// @notice The CCP published days `from`..`through` with `holidays` (weekdays the exchange is
    /// closed); every other weekday of the range is a business day.
    event CalendarPublished(uint32 from, uint32 through, uint32[] holidays);

    /// @notice Publish days `from`..`through` and their holidays. The first range may start anywhere;
    /// each later one starts the day after the last published day.
    function publish(uint32 from, uint32 through, uint32[] calldata holidays) external;

    /// @notice The first and last published days (both zero before the first publication).
    function published() external view returns (uint32 first, uint32 last);

    /// @notice The Tokyo calendar day of unix time `timestamp`.
    function dayOf(uint256 timestamp) external pure returns (uint32);

    /// @notice The unix time of `secondsIntoDay` after midnight Tokyo on `day`.
    function timeOn(uint32 day, uint32 secondsIntoDay) external pure returns (uint64);

    /// @notice Whether `day` is a business day.
    function isBusinessDay(uint32 day) external view returns (bool);

    /// @notice The `count`-th business day after `day` (`day` itself need not be one).
    function addBusinessDays(uint32 day, uint256 count) external view returns (uint32);

    /// @notice The `count`-th business day before `day` (`day` itself need not be one).
    function subBusinessDays(uint32 day, uint256 count) external view returns (uint32);

    /// @notice How many days a late charge accrued on business day `day` counts: one, plus the
    /// non-business days up to the next business day (an ordinary Friday counts 3).
    function chargeDays(uint32 day) external view returns (uint256);
}
