/*
 * pn_port.c: mbuf pools and DPDK port set-up for privnum-dataplane.
 *
 * Every available ethdev port (up to PN_IO_MAX_PORTS) is used. Queues: one TX queue per worker
 * (each worker owns one, no locks); min(workers, max_rx_queues) RX queues, with RSS over the IPv4
 * addresses when there is more than one (fragments of one datagram then land on one queue).
 * RX checksum offload is enabled when the port has it (verification trusted through the mbuf
 * flags, else done in software); TX checksums are always computed in software.
 * Main lcore only, before the workers start.
 */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "pn_io_priv.h"

#define NB_MBUF       8191
#define NB_RXD        1024
#define NB_TXD        1024
#define MEMPOOL_CACHE 256

static int setup_port(struct pn_io *io, uint16_t port_id, struct pn_io_port *p)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int r = rte_eth_dev_info_get(port_id, &info);
	if (r != 0)
		return r;
	memset(&conf, 0, sizeof(conf));
	p->port_id = port_id;
	p->n_txq = (uint16_t)io->n_workers;
	if (info.max_tx_queues < p->n_txq) {
		fprintf(
		    stderr,
		    "privnum-dataplane: port %u (%s) has %u TX queues, %u workers need one each "
		    "(af_packet: qpairs=N; pcap: one tx_pcap per worker)\n",
		    port_id, info.driver_name, info.max_tx_queues, io->n_workers);
		return -EINVAL;
	}
	p->n_rxq = (uint16_t)RTE_MIN(io->n_workers, info.max_rx_queues);
	if (p->n_rxq == 0)
		p->n_rxq = 1;
	if (p->n_rxq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	}
	uint64_t rx_csum = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	if ((info.rx_offload_capa & rx_csum) == rx_csum) {
		conf.rxmode.offloads |= rx_csum;
		p->rx_ip_csum = p->rx_l4_csum = 1;
	}
	uint64_t tx_csum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	/* TX checksums are computed in software for now (SIP is built once, media is updated
	 * incrementally); tx_csum only reports that the port could do it. */
	if ((info.tx_offload_capa & tx_csum) == tx_csum)
		p->tx_csum = 1;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		p->tx_multiseg = 1;
	}
	r = rte_eth_dev_configure(port_id, p->n_rxq, p->n_txq, &conf);
	if (r != 0)
		return r;
	uint16_t nrxd = NB_RXD, ntxd = NB_TXD;
	r = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nrxd, &ntxd);
	if (r != 0)
		return r;
	int socket = rte_eth_dev_socket_id(port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	for (uint16_t q = 0; q < p->n_rxq; q++) {
		struct rte_eth_rxconf rxc = info.default_rxconf;
		rxc.offloads = conf.rxmode.offloads;
		r = rte_eth_rx_queue_setup(port_id, q, nrxd, (unsigned)socket, &rxc, io->pool);
		if (r != 0)
			return r;
	}
	for (uint16_t q = 0; q < p->n_txq; q++) {
		struct rte_eth_txconf txc = info.default_txconf;
		txc.offloads = conf.txmode.offloads;
		r = rte_eth_tx_queue_setup(port_id, q, ntxd, (unsigned)socket, &txc);
		if (r != 0)
			return r;
	}
	struct rte_ether_addr ea;
	r = rte_eth_macaddr_get(port_id, &ea);
	if (r != 0)
		return r;
	memcpy(p->mac.b, ea.addr_bytes, 6);
	p->local.mac = p->mac;
	p->local.n_ips = 0;
	p->local.ips[p->local.n_ips++] = io->conf.sip.ip;
	if (io->conf.media_ip != io->conf.sip.ip)
		p->local.ips[p->local.n_ips++] = io->conf.media_ip;
	r = rte_eth_dev_start(port_id);
	if (r != 0)
		return r;
	printf("privnum-dataplane: port %u %s mac %02x:%02x:%02x:%02x:%02x:%02x rxq %u txq %u "
	       "rx-csum %s tx-csum sw (hw %s) multiseg %s\n",
	       port_id, info.driver_name, p->mac.b[0], p->mac.b[1], p->mac.b[2], p->mac.b[3],
	       p->mac.b[4], p->mac.b[5], p->n_rxq, p->n_txq, p->rx_l4_csum ? "hw" : "sw",
	       p->tx_csum ? "capable" : "no", p->tx_multiseg ? "yes" : "no");
	return 0;
}

/*
 * Creates the pools and configures and starts every port. Returns 0, or a negative errno with a
 * message on stderr (no port, too few queues, configuration refused).
 */
int pn_port_init_all(struct pn_io *io)
{
	int socket = (int)rte_socket_id();
	/* Larger mbufs (--mbuf-size) cost memory: keep the pool near 64 MiB. */
	unsigned nb = io->conf.mbuf_size <= 2048 ? NB_MBUF : 4095;
	io->pool =
	    rte_pktmbuf_pool_create("pn_mbuf", nb, MEMPOOL_CACHE, 0,
	                            (uint16_t)(io->conf.mbuf_size + RTE_PKTMBUF_HEADROOM), socket);
	io->indirect_pool =
	    rte_pktmbuf_pool_create("pn_indirect", NB_MBUF, MEMPOOL_CACHE, 0, 0, socket);
	if (!io->pool || !io->indirect_pool) {
		fprintf(stderr, "privnum-dataplane: cannot create mbuf pools: %s\n",
		        rte_strerror(rte_errno));
		return -ENOMEM;
	}
	uint16_t pid;
	io->n_ports = 0;
	RTE_ETH_FOREACH_DEV(pid)
	{
		if (io->n_ports == PN_IO_MAX_PORTS) {
			fprintf(stderr, "privnum-dataplane: ports beyond %d ignored\n",
			        PN_IO_MAX_PORTS);
			break;
		}
		int r = setup_port(io, pid, &io->ports[io->n_ports]);
		if (r != 0) {
			fprintf(stderr, "privnum-dataplane: port %u set-up failed: %s\n", pid,
			        strerror(-r));
			return r;
		}
		io->n_ports++;
	}
	io->tx_multiseg = 1;
	for (unsigned i = 0; i < io->n_ports; i++)
		io->tx_multiseg &= io->ports[i].tx_multiseg;
	if (io->n_ports == 0) {
		fprintf(stderr, "privnum-dataplane: no DPDK port (give --vdev or a NIC)\n");
		return -ENODEV;
	}
	return 0;
}

void pn_port_stop_all(struct pn_io *io)
{
	for (unsigned i = 0; i < io->n_ports; i++) {
		rte_eth_dev_stop(io->ports[i].port_id);
		rte_eth_dev_close(io->ports[i].port_id);
	}
}
