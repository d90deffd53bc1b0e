package dev.ina.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostPortTest
{
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "':abc'       | the host is empty",
        "':70000'     | the host is empty",
        "'h:abc'      | the port 'abc' is not a number",
        "'h:70000'    | the port 70000 is outside [1, 65535]",
        "'h:0'        | the port 0 is outside [1, 65535]",
        "'h:'         | the port '' is not a number",
        "'host:port:1'| it has more than one ':' (write an IPv6 address in brackets)",
        "'::1'        | it has more than one ':' (write an IPv6 address in brackets)",
        "'[::1'       | '[' has no closing ']'",
        "'[::1]4000'  | only ':port' may follow ']'",
        "'[]:4000'    | the host is empty",
        "'a b:4000'   | the host 'a b' is not a host name or address",
    })
    void shouldNameTheVariableOrMethodAndTheExpectedFormWhenTheAddressIsBad(final String text, final String detail)
    {
        final String expected = " must be host:port (or host for port 47100; IPv6 as [::1]:port), got '" + text +
            "': " + detail;
        final IllegalArgumentException fromEnv = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.fromSource(new SettingSource(Map.of("INA_AGGREGATOR", text), new Properties())));
        assertEquals("INA_AGGREGATOR" + expected, fromEnv.getMessage());
        final IllegalArgumentException fromCode = assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.builder().aggregator(text));
        assertEquals("aggregator(..)" + expected, fromCode.getMessage());
    }

    @Test
    void shouldRejectAnEmptyAddressFromCodeAndABlankOneFromTheEnvironment()
    {
        assertEquals("aggregator(..) must be host:port (or host for port 47100; IPv6 as [::1]:port), got '': it " +
            "is empty", assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.builder().aggregator("")).getMessage());
        assertEquals("INA_AGGREGATOR is set but empty: set it to host:port (or host for port 47100; IPv6 as " +
            "[::1]:port), or remove it for the default", assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.fromSource(new SettingSource(Map.of("INA_AGGREGATOR", ""), new Properties())))
            .getMessage());
        assertEquals("aggregator(..) must be host:port (or host for port 47100; IPv6 as [::1]:port), got :0",
            assertThrows(IllegalArgumentException.class,
            () -> WorkerConfig.builder().aggregator("", 0).rank(0).worldSize(1).build()).getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10.0.0.5:4000        | 10.0.0.5    | 4000  | 10.0.0.5:4000",
        "' aggregator:1 '     | aggregator  | 1     | aggregator:1",
        "aggregator           | aggregator  | 47100 | aggregator:47100",
        "[::1]:65535          | ::1         | 65535 | [::1]:65535",
        "[fe80::1%eth0]       | fe80::1%eth0| 47100 | [fe80::1%eth0]:47100",
    })
    void shouldParseHostAndPortWithADefaultPortAndBracketedIpv6(
        final String text, final String host, final int port, final String printed)
    {
        final WorkerConfig config = WorkerConfig.builder().aggregator(text).rank(0).worldSize(1).build();
        assertEquals(host, config.aggregatorHost());
        assertEquals(port, config.aggregatorPort());
        assertEquals(printed, new HostPort(host, port).toString());
    }
}
