package dev.ina.worker;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AimdWindowTest
{
    @Test
    void shouldStartAtTheJobsWindow()
    {
        assertEquals(16, new AimdWindow(16).window());
    }

    @Test
    void shouldHalveOncePerLossEpisode()
    {
        final AimdWindow window = new AimdWindow(16);
        window.onCallStart(100);
        // Chunks 100..115 in flight; 103 is lost, then 105 and 110 of the same flight.
        assertTrue(window.onLoss(103, 116));
        assertEquals(8, window.window());
        assertFalse(window.onLoss(105, 116), "a loss among chunks already in flight is the same episode");
        assertFalse(window.onLoss(110, 116));
        assertEquals(8, window.window());
        // A chunk sent after the episode began (116 or later) starts a new episode.
        assertTrue(window.onLoss(116, 124));
        assertEquals(4, window.window());
    }

    @Test
    void shouldNeverGoBelowOne()
    {
        final AimdWindow window = new AimdWindow(2);
        window.onCallStart(0);
        assertTrue(window.onLoss(0, 2));
        assertTrue(window.onLoss(2, 3));
        assertTrue(window.onLoss(3, 4));
        assertEquals(1, window.window());
    }

    @Test
    void shouldGrowByOnePerWindowOfCompletedChunksUpToTheJobsWindow()
    {
        final AimdWindow window = new AimdWindow(8);
        window.onCallStart(0);
        window.onLoss(0, 8);
        assertEquals(4, window.window());
        for (int i = 0; i < 3; i++)
        {
            window.onChunkCompleted();
        }
        assertEquals(4, window.window(), "not before a whole window completed");
        window.onChunkCompleted();
        assertEquals(5, window.window());
        for (int i = 0; i < 5 + 6 + 7; i++)
        {
            window.onChunkCompleted();
        }
        assertEquals(8, window.window());
        for (int i = 0; i < 100; i++)
        {
            window.onChunkCompleted();
        }
        assertEquals(8, window.window(), "never beyond the job's window (its slots)");
    }

    @Test
    void shouldUndoTheHalvingWhenTheLossWasASlowPeer()
    {
        final AimdWindow window = new AimdWindow(16);
        window.onCallStart(0);
        window.onLoss(0, 16);
        assertEquals(8, window.window());
        window.onSpuriousLoss();
        assertEquals(16, window.window());
    }

    @Test
    void shouldNotShrinkOnUndoWhenTheWindowGrewSince()
    {
        final AimdWindow window = new AimdWindow(16);
        window.onCallStart(0);
        window.onLoss(0, 16);
        window.onLoss(16, 24);
        assertEquals(4, window.window());
        window.onSpuriousLoss();
        assertEquals(8, window.window(), "undo restores the window before the last halving");
        window.onSpuriousLoss();
        assertEquals(8, window.window());
    }

    @Test
    void shouldStartANewEpisodeAtEachCall()
    {
        final AimdWindow window = new AimdWindow(16);
        window.onCallStart(0);
        assertTrue(window.onLoss(5, 16));
        window.onCallStart(16);
        assertTrue(window.onLoss(16, 24), "the first loss of a call is a new episode");
    }
}
