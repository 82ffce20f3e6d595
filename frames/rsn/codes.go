// SPDX-License-Identifier: MIT

package rsn

// 802.11 reason and status codes of RSN (IEEE 802.11 Tables 9-49, 9-50)
// that the MACs send when a handshake or an RSN element fails.
const (
	ReasonMICFailure         uint16 = 14
	Reason4WayTimeout        uint16 = 15
	ReasonGroupKeyTimeout    uint16 = 16
	ReasonInvalidIE          uint16 = 13
	StatusInvalidGroupCipher uint16 = 41
	StatusInvalidPairwise    uint16 = 42
	StatusInvalidAKMP        uint16 = 43
)
