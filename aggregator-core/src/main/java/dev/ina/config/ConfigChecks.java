package dev.ina.config;

final class ConfigChecks
{
    private ConfigChecks()
    {
    }

    static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }

    static void requirePositive(final long value, final String name)
    {
        require(value > 0, name + " must be positive, got " + value);
    }

    static boolean isPowerOfTwo(final int value)
    {
        return value > 0 && (value & (value - 1)) == 0;
    }
}
