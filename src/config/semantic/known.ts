// Config layer (semantic): keepalived keywords lvsd knowingly does not implement, per block, for precise warnings.

const words = (s: string): ReadonlySet<string> => new Set(s.split(/\s+/).filter(Boolean));

/** CHECKER_TYPES are keepalived's health checkers other than TCP_CHECK. */
export const CHECKER_TYPES = words('HTTP_GET SSL_GET MISC_CHECK SMTP_CHECK DNS_CHECK BFD_CHECK UDP_CHECK PING_CHECK FILE_CHECK');

/** TOP_UNSUPPORTED are top-level keepalived blocks and keywords lvsd does not implement. */
export const TOP_UNSUPPORTED = words(`
  net_namespace net_namespace_ipvs namespace_with_ipsets instance use_pid_dir linkbeat_use_polling child_wait_time
  linkbeat_interfaces track_group static_ipaddress static_routes static_rules track_file vrrp_track_file
  vrrp_track_process garp_group interface_up_down_delays bfd_instance SSL`);

/** GLOBAL_UNSUPPORTED are global_defs keywords of keepalived 2.2 that lvsd does not implement. */
export const GLOBAL_UNSUPPORTED = words(`
  process_names process_name vrrp_process_name checker_process_name lvs_process_name bfd_process_name
  startup_script startup_script_timeout shutdown_script shutdown_script_timeout max_auto_priority
  min_auto_priority_delay checker_log_all_failures dynamic_interfaces no_email_faults default_interface
  disable_local_igmp vrrp_garp_extra_if vrrp_vmac_garp_intvl vrrp_iptables vrrp_ipsets nftables nftables_priority
  nftables_ifindex nftables_ipvs nftables_ipvs_priority nftables_ipvs_start_fwmark nftables_counters vrrp_priority
  vrrp_no_swap vrrp_rt_priority vrrp_cpu_affinity vrrp_rlimit_rttime vrrp_rlimit_rtime notify_fifo notify_fifo_script
  vrrp_notify_fifo vrrp_notify_fifo_script vrrp_notify_priority_changes fifo_write_vrrp_states_on_reload
  lvs_notify_fifo lvs_notify_fifo_script checker_priority checker_no_swap checker_rt_priority checker_cpu_affinity
  checker_rlimit_rttime checker_rlimit_rtime bfd_priority bfd_no_swap bfd_rt_priority bfd_cpu_affinity
  bfd_rlimit_rttime bfd_rlimit_rtime snmp_socket enable_traps enable_snmp_vrrp enable_snmp_keepalived
  enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_checker enable_dbus dbus_service_name
  vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs
  vrrp_netlink_monitor_rcv_bufs_force process_monitor_rcv_bufs process_monitor_rcv_bufs_force
  lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs
  lvs_netlink_monitor_rcv_bufs_force rs_init_notifies no_checker_emails vrrp_rx_bufs_policy vrrp_rx_bufs_multiplier
  log_unknown_vrids vmac_prefix vmac_addr_prefix umask tmp_config_directory config_save_dir random_seed
  reload_check_config include_check reload_time_file reload_repeat reload_file data_use_instance smtp_alert_vrrp
  smtp_alert_checker linkbeat_use_polling`);

/** VS_UNSUPPORTED are virtual_server keywords lvsd does not implement. */
export const VS_UNSUPPORTED = words('hashed snmp_name');

/** RS_UNSUPPORTED are real_server keywords lvsd does not implement. */
export const RS_UNSUPPORTED = words('snmp_name track_file');

/** INSTANCE_UNSUPPORTED are vrrp_instance keywords lvsd does not implement. */
export const INSTANCE_UNSUPPORTED = words(`
  use_vmac use_vmac_addr vmac_xmit_base use_ipvlan unicast_fault_no_peer old_unicast_checksum vrf track_file
  track_process track_bfd track_src_ip virtual_routes virtual_rules linkbeat_use_polling notify_deleted
  notify_master_rx_lower_pri notify_priority_changes kernel_rx_buf_size garp_extra_if vmac_garp_intvl debug`);

/** SCRIPT_UNSUPPORTED are vrrp_script keywords lvsd does not implement. */
export const SCRIPT_UNSUPPORTED = words('');

/** SYNC_GROUP_UNSUPPORTED are vrrp_sync_group keywords lvsd does not implement. */
export const SYNC_GROUP_UNSUPPORTED = words('track_file track_process track_bfd notify_priority_changes notify_deleted');
