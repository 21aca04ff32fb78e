SELECT '{{ ds }}' AS logical_day;
